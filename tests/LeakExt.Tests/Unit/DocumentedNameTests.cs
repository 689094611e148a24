using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

/// <summary>
/// Core decides kinds as enums; JSON and text spell them by the names docs/json.md documents. Every
/// value must have a name (each enum's Name() throws for one it does not know), no two values one
/// name, each name documented, and every enum a JSON document holds must go through its converter
/// (else System.Text.Json would write a number).
/// </summary>
public sealed class DocumentedNameTests
{
    private static readonly IDocumentedNames[] Converters = LeakJsonContext.Default.Options.Converters.OfType<IDocumentedNames>().ToArray();

    [Fact]
    public void Every_value_has_one_documented_name()
    {
        string[] jsonBlocks = CodeBlocks(Path.Combine(Repository.Root, "docs", "json.md"));
        Assert.True(Converters.Length >= 10, $"only {Converters.Length} enum converters are registered");
        foreach (IDocumentedNames converter in Converters)
            AssertDocumented(converter.EnumType, converter.Names, jsonBlocks, "docs/json.md");
    }

    [Fact]
    public void Root_and_handle_kinds_are_documented_in_the_snapshot_format()
    {
        string format = File.ReadAllText(Path.Combine(Repository.Root, "docs", "snapshot-format.md"));
        AssertDocumented(typeof(RootKind), Enum.GetValues<RootKind>().Select(k => ((Enum)k, k.Name())).ToArray(), [format], "docs/snapshot-format.md");
        AssertDocumented(typeof(WeakHandleKind), Enum.GetValues<WeakHandleKind>().Select(k => ((Enum)k, k.Name())).ToArray(), [format], "docs/snapshot-format.md");
    }

    [Fact]
    public void Every_enum_in_a_json_document_has_its_converter()
    {
        var converted = Converters.Select(c => c.EnumType).ToHashSet();
        var seen = new HashSet<Type>();
        var enums = new HashSet<Type>();
        foreach (CustomAttributeData root in typeof(LeakJsonContext).GetCustomAttributesData().Where(d => d.AttributeType == typeof(JsonSerializableAttribute)))
            Collect((Type)root.ConstructorArguments[0].Value!, seen, enums);
        Assert.Contains(typeof(LeakExt.Core.Growth.GrowthVerdict), enums);
        Assert.Contains(typeof(LeakExt.Core.Retention.BackrefNodeKind), enums);
        Assert.Empty(enums.Where(e => !converted.Contains(e)).Select(e => e.FullName));
        Assert.Empty(converted.Where(e => !enums.Contains(e)).Select(e => e.FullName));
    }

    private static void AssertDocumented(Type type, IReadOnlyList<(Enum Value, string Name)> names, string[] docs, string where)
    {
        Assert.Equal(Enum.GetValues(type).Length, names.Count);
        foreach (IGrouping<string, (Enum Value, string Name)> twice in names.GroupBy(n => n.Name).Where(g => g.Count() > 1))
            Assert.Fail($"{type.Name}: {string.Join(" and ", twice.Select(n => n.Value))} are both named '{twice.Key}'");
        foreach ((Enum value, string name) in names)
        {
            Assert.False(string.IsNullOrWhiteSpace(name), $"{type.Name}.{value} has no name");
            var word = new Regex($"(?<![\\w-]){Regex.Escape(name)}(?![\\w-])");
            Assert.True(docs.Any(word.IsMatch), $"{type.Name}.{value} is named '{name}', which {where} does not mention");
        }
    }

    /// <summary>The ```json blocks of a page: where a document's values are shown.</summary>
    private static string[] CodeBlocks(string path) =>
        Regex.Matches(File.ReadAllText(path), "```json\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>The enum types reachable from a serialized type: through its public properties, lists, arrays, dictionaries' values and nullables.</summary>
    private static void Collect(Type type, HashSet<Type> seen, HashSet<Type> enums)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            type = underlying;
        if (!seen.Add(type) || type == typeof(string) || type.IsPrimitive)
            return;
        if (type.IsEnum)
        {
            enums.Add(type);
            return;
        }
        if (type.IsArray)
        {
            Collect(type.GetElementType()!, seen, enums);
            return;
        }
        if (type.IsGenericType && type.Namespace == "System.Collections.Generic")
        {
            foreach (Type argument in type.GetGenericArguments())
                Collect(argument, seen, enums);
            return;
        }
        if (type.Namespace?.StartsWith("LeakExt", StringComparison.Ordinal) != true)
            return;
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is null)
                Collect(property.PropertyType, seen, enums);
    }
}
