using System.Text.Json.Serialization;
using LeakExt.Commands.Framework;

namespace LeakExt.Commands;

/// <summary>Source-generated JSON (no reflection: the WinDbg host is NativeAOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, Converters = [typeof(HexAddressConverter), typeof(UtcTimeConverter),
        typeof(GrowthVerdictConverter), typeof(SeriesUnitConverter), typeof(TrendConverter), typeof(ConfidenceConverter), typeof(ChangeKindConverter), typeof(DiffSortConverter),
        typeof(DiffGroupingConverter), typeof(BackrefNodeKindConverter), typeof(CutReasonConverter), typeof(SnapshotActionKindConverter),
        typeof(ProvenanceKindConverter)])]
[JsonSerializable(typeof(SnapshotResult))]
[JsonSerializable(typeof(SnapshotListResult))]
[JsonSerializable(typeof(SnapDiffResult))]
[JsonSerializable(typeof(HelpResult))]
[JsonSerializable(typeof(RootPathResult))]
[JsonSerializable(typeof(BackrefsResult))]
[JsonSerializable(typeof(RetainedCommandResult))]
[JsonSerializable(typeof(DominatorsCommandResult))]
[JsonSerializable(typeof(HeapGrowthResult))]
[JsonSerializable(typeof(FragmentationResult))]
[JsonSerializable(typeof(ErrorResult))]
public sealed partial class LeakJsonContext : JsonSerializerContext
{
}
