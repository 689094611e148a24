using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LeakExt.Tests.Hosts;

/// <summary>
/// What may differ between hosts for the same command on the same dump: the facts that name the
/// host rather than the heap. The target's description, how long a walk took, and the dump's
/// time (a debugger reports whole seconds). Everything else must be equal.
/// </summary>
internal static class HostFacts
{
    /// <summary>The text without those facts; a table column holding the description is as wide as it, so runs of spaces count as one.</summary>
    public static string Remove(string text) =>
        Regex.Replace(Regex.Replace(Regex.Replace(Regex.Replace(text,
            @"dump of process \d+|dump checkpoint-\d+\.dmp", "TARGET"),
            @"\d+(\.\d+)? s\b", "N s"),
            @"\d\d:\d\d:\d\d(\.\d+)?", "HH:MM:SS"),
            " {2,}", " ");

    /// <summary>The JSON document without those facts (plus <paramref name="alsoDrop"/> keys, which a host cannot know); times compared to the second.</summary>
    public static string RemoveFromJson(string json, params string[] alsoDrop)
    {
        JsonNode? node = Scrub(JsonNode.Parse(json), ["source", "walkSeconds", .. alsoDrop]);
        return node?.ToJsonString() ?? "null";
    }

    private static JsonNode? Scrub(JsonNode? node, string[] drop)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (string key in drop)
                    obj.Remove(key);
                foreach (KeyValuePair<string, JsonNode?> child in obj.ToList())
                    obj[child.Key] = Scrub(child.Value?.DeepClone(), drop);
                return obj;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                    array[i] = Scrub(array[i]?.DeepClone(), drop);
                return array;
            case JsonValue value when value.TryGetValue(out string? text) && Regex.IsMatch(text, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+"):
                return JsonValue.Create(Regex.Replace(text, @"(T\d\d:\d\d:\d\d)\.\d+", "$1"));
            default:
                return node;
        }
    }
}
