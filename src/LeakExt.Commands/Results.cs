using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands;

// Result records: what each command returns, and exactly what -json prints (camelCase; docs/json.md).

public sealed record GenerationCount(long Count, long Bytes);

public sealed record TypeRow(
    string Type, string Module, long Count, long Bytes, long DeadCount, long DeadBytes,
    IReadOnlyDictionary<string, GenerationCount> ByGeneration)
{
    public static TypeRow From(TypeStats stats)
    {
        var byGeneration = new Dictionary<string, GenerationCount>();
        for (int g = 0; g < HeapGenerations.Count; g++)
            if (stats.CountByGeneration[g] != 0)
                byGeneration[HeapGenerations.Names[g]] = new GenerationCount(stats.CountByGeneration[g], stats.BytesByGeneration[g]);
        return new TypeRow(stats.Type, stats.Module, stats.Count, stats.Bytes, stats.DeadCount, stats.DeadBytes, byGeneration);
    }
}

public sealed record SnapshotResult(
    string Command, int Id, string? Name, string? File, string Source, int? ProcessId, DateTimeOffset TakenAt,
    string RuntimeVersion, int PointerSize, bool ServerGc, int HeapCount, string Reader, double WalkSeconds,
    HeapTotals Totals, IReadOnlyDictionary<string, long> Roots, long FinalizerQueueLength, long FinalizableObjects,
    SnapshotDiagnostics Diagnostics, int TypeCount, IReadOnlyList<TypeRow> Types)
{
    public static SnapshotResult From(StoredSnapshot stored, int top)
    {
        Snapshot s = stored.Snapshot;
        SnapshotInfo i = s.Info;
        IEnumerable<TypeStats> live = s.Types.Where(t => t.Count > 0);
        if (top > 0)
            live = live.Take(top);
        return new SnapshotResult("snapshot", stored.Id, i.Name, stored.File, i.Source, i.ProcessId, i.TakenAt, i.RuntimeVersion,
            i.PointerSize, i.ServerGc, i.HeapCount, i.Reader, i.WalkSeconds, s.Totals, s.Roots, s.FinalizerQueueLength,
            s.FinalizableObjects, s.Diagnostics, s.Types.Count(t => t.Count > 0), live.Select(TypeRow.From).ToArray());
    }
}

public sealed record SnapshotListRow(
    int Id, string? Name, string? File, string Source, DateTimeOffset TakenAt, long LiveCount, long LiveBytes, int TypeCount);

public sealed record SnapshotListResult(string Command, string? Action, IReadOnlyList<SnapshotListRow> Snapshots);

public sealed record DiffRow(
    string Type, string Module, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, string Change);

public sealed record SnapDiffResult(
    string Command, string A, string B, string Sort, string? TypePattern, int ChangedTypes, int NewTypes, int VanishedTypes,
    TotalsDelta Totals, IReadOnlyList<DiffRow> Rows)
{
    public static SnapDiffResult From(SnapshotDiff diff, DiffSort sort, string? pattern) => new(
        "snapdiff", diff.A, diff.B, sort == DiffSort.Count ? "count" : "bytes", pattern, diff.ChangedTypes, diff.NewTypes, diff.VanishedTypes,
        diff.Totals,
        diff.Rows.Select(r => new DiffRow(r.Type, r.Module, r.CountA, r.CountB, r.DeltaCount, r.BytesA, r.BytesB, r.DeltaBytes, r.Change)).ToArray());
}

public sealed record HelpEntry(string Name, string Summary);

public sealed record HelpResult(string Command, string? Topic, string? Text, IReadOnlyList<HelpEntry> Commands);
