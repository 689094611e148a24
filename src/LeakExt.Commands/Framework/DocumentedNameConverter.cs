using System.Text.Json;
using System.Text.Json.Serialization;
using LeakExt.Core.Growth;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Framework;

/// <summary>An enum's values with the names docs/json.md documents, for the test that holds the docs to them.</summary>
public interface IDocumentedNames
{
    Type EnumType { get; }

    /// <summary>Every value of the enum and its name (the enum's own Name() spells it).</summary>
    IReadOnlyList<(Enum Value, string Name)> Names { get; }
}

/// <summary>
/// Writes an enum as its documented name, as the enum's Name() extension spells it (never a
/// number, never the C# identifier), and reads that name back. One subclass per enum, listed in
/// <see cref="LeakJsonContext"/>: the source generator creates converters by type.
/// </summary>
public abstract class DocumentedNameConverter<T>(Func<T, string> name) : JsonConverter<T>, IDocumentedNames where T : struct, Enum
{
    public Type EnumType => typeof(T);

    public IReadOnlyList<(Enum Value, string Name)> Names => Enum.GetValues<T>().Select(v => ((Enum)v, name(v))).ToArray();

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string text = reader.GetString() ?? "";
        foreach (T value in Enum.GetValues<T>())
            if (name(value) == text)
                return value;
        throw new JsonException($"'{text}' is not a {typeof(T).Name} name; docs/json.md lists them.");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(name(value));
}

public sealed class GrowthVerdictConverter() : DocumentedNameConverter<GrowthVerdict>(GrowthVerdicts.Name);

public sealed class SeriesUnitConverter() : DocumentedNameConverter<SeriesUnit>(SeriesUnits.Name);

public sealed class TrendConverter() : DocumentedNameConverter<Trend>(Trends.Name);

public sealed class ConfidenceConverter() : DocumentedNameConverter<Confidence>(Trends.Name);

public sealed class ChangeKindConverter() : DocumentedNameConverter<ChangeKind>(DiffKinds.Name);

public sealed class DiffSortConverter() : DocumentedNameConverter<DiffSort>(DiffKinds.Name);

public sealed class DiffGroupingConverter() : DocumentedNameConverter<DiffGrouping>(ResultKinds.Name);

public sealed class BackrefNodeKindConverter() : DocumentedNameConverter<BackrefNodeKind>(BackrefKinds.Name);

public sealed class CutReasonConverter() : DocumentedNameConverter<CutReason>(BackrefKinds.Name);

public sealed class SnapshotActionKindConverter() : DocumentedNameConverter<SnapshotActionKind>(ResultKinds.Name);

public sealed class ProvenanceKindConverter() : DocumentedNameConverter<ProvenanceKind>(ResultKinds.Name);
