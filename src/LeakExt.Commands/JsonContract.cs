using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands;

/// <summary>
/// The one vocabulary of our JSON (docs/json.md): every document opens with schemaVersion and
/// command; a snapshot is always a <see cref="SnapshotRef"/>; field names carry their unit as
/// <see cref="UnitOf"/> reads them, and the schema test holds every emitted field to it.
/// </summary>
public static class JsonContract
{
    /// <summary>Bumped when a field is renamed or removed; fields are only added within a version.</summary>
    public const int SchemaVersion = 2;

    /// <summary>LeakExt's version, as the assemblies carry it ("0.1.0+commit").</summary>
    public static string LeakExtVersion { get; } =
        typeof(JsonContract).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>What a field's value is, read from its name alone, so one spelling means one unit everywhere.</summary>
    public static FieldUnit UnitOf(string name) => name switch
    {
        "bytes" or "size" => FieldUnit.Bytes,
        "count" or "counts" or "objects" or "hidden" or "index" or "length" => FieldUnit.Count,
        "time" => FieldUnit.Time,
        "address" or "example" or "start" or "end" or "nextAddress" => FieldUnit.Address,
        _ when name.EndsWith("Bytes", StringComparison.Ordinal) || name.EndsWith("BytesA", StringComparison.Ordinal)
               || name.EndsWith("BytesB", StringComparison.Ordinal) => FieldUnit.Bytes,
        _ when name.EndsWith("Count", StringComparison.Ordinal) || name.EndsWith("CountA", StringComparison.Ordinal)
               || name.EndsWith("CountB", StringComparison.Ordinal) || name.EndsWith("Length", StringComparison.Ordinal)
               || name.EndsWith("LengthA", StringComparison.Ordinal) || name.EndsWith("LengthB", StringComparison.Ordinal) => FieldUnit.Count,
        _ when name.EndsWith("Percent", StringComparison.Ordinal) || name.EndsWith("Seconds", StringComparison.Ordinal)
               || name.EndsWith("Fraction", StringComparison.Ordinal) => FieldUnit.Number,
        _ => FieldUnit.Any,
    };
}

/// <summary>How a field's name says its value reads: bytes and counts are integers, times ISO 8601 UTC, addresses "0x…".</summary>
public enum FieldUnit
{
    Any,
    Bytes,
    Count,
    Number,
    Time,
    Address,
}

/// <summary>The head of every document: the schema version and the command that printed it.</summary>
public abstract record CommandDocument(string Command)
{
    [JsonPropertyOrder(-2)]
    public int SchemaVersion => JsonContract.SchemaVersion;

    [JsonPropertyOrder(-1)]
    public string Command { get; init; } = Command;
}

/// <summary>A snapshot as every command names it: its session index (#N; 0 for the target as it is now), name and time.</summary>
public sealed record SnapshotRef(int Index, string? Name, DateTimeOffset Time)
{
    public static SnapshotRef From(StoredSnapshot stored) => new(stored.Id, stored.Snapshot.Info.Name, stored.Snapshot.Info.TakenAt);

    /// <summary>How text output names it: "#2 (after)".</summary>
    [JsonIgnore]
    public string Label => Name is null ? $"#{Index}" : $"#{Index} ({Name})";
}

/// <summary>Times as ISO 8601 in UTC ("2026-11-21T12:00:00Z", fractions of a second when there are any).</summary>
public sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}
