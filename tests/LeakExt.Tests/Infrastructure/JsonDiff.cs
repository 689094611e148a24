using System.Text.Json.Nodes;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Where two JSON documents first differ, as a path and both values: readable where a whole document is not.</summary>
internal static class JsonDiff
{
    /// <summary>Null when equal, else "$.types[3].count: 25 ≠ 24".</summary>
    public static string? First(string expected, string actual) => First(JsonNode.Parse(expected), JsonNode.Parse(actual), "$");

    private static string? First(JsonNode? a, JsonNode? b, string path)
    {
        switch (a, b)
        {
            case (JsonObject x, JsonObject y):
                foreach (string key in x.Select(p => p.Key).Union(y.Select(p => p.Key)))
                {
                    if (!x.ContainsKey(key) || !y.ContainsKey(key))
                        return $"{path}.{key}: {(x.ContainsKey(key) ? "present" : "missing")} ≠ {(y.ContainsKey(key) ? "present" : "missing")}";
                    if (First(x[key], y[key], $"{path}.{key}") is { } inner)
                        return inner;
                }
                return null;
            case (JsonArray x, JsonArray y):
                for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                    if (First(x[i], y[i], $"{path}[{i}]") is { } inner)
                        return inner;
                return x.Count == y.Count ? null : $"{path}: {x.Count} elements ≠ {y.Count}";
            default:
                string left = a?.ToJsonString() ?? "null", right = b?.ToJsonString() ?? "null";
                return left == right ? null : $"{path}: {Shorten(left)} ≠ {Shorten(right)}";
        }
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
