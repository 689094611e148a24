using LeakExt.Core.Retention;
using LeakExt.Commands.Framework;
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

/// <summary>Live objects of one type under one holder; addresses are hex strings ("0x7f3a…"), beyond JSON's safe integers.</summary>
public sealed record HolderRow(string Type, string Module, string Holder, long Count, long Bytes, string Example)
{
    public static HolderRow From(HolderStats stats) =>
        new(stats.Type, stats.Module, stats.Holder, stats.Count, stats.Bytes, Address.Format(stats.ExampleAddress));
}

public sealed record SnapshotResult(
    string Command, int Id, string? Name, string? File, string Source, int? ProcessId, DateTimeOffset TakenAt,
    string RuntimeVersion, int PointerSize, bool ServerGc, int HeapCount, string Reader, double WalkSeconds,
    HeapTotals Totals, IReadOnlyDictionary<string, long> Roots, long FinalizerQueueLength, long FinalizableObjects,
    SnapshotDiagnostics Diagnostics, int TypeCount, IReadOnlyList<TypeRow> Types, int HolderCount, IReadOnlyList<HolderRow> Holders,
    LeakExt.Core.Growth.ProcessMemory? Memory, PinningSummary? Pinning)
{
    /// <summary>
    /// The top types by live bytes (all when <paramref name="top"/> is 0); with
    /// <paramref name="withDeadOnly"/> and all types, the types that have only dead objects follow, so
    /// that per-type dead counts add up to the totals.
    /// </summary>
    public static SnapshotResult From(StoredSnapshot stored, int top, bool withDeadOnly = false)
    {
        Snapshot s = stored.Snapshot;
        SnapshotInfo i = s.Info;
        IEnumerable<TypeStats> live = s.Types.Where(t => t.Count > 0);
        if (top > 0)
            live = live.Take(top);
        else if (withDeadOnly)
            live = live.Concat(s.Types.Where(t => t.Count == 0).OrderByDescending(t => t.DeadBytes).ThenBy(t => t.Type, StringComparer.Ordinal));
        return new SnapshotResult("snapshot", stored.Id, i.Name, stored.File, i.Source, i.ProcessId, i.TakenAt, i.RuntimeVersion,
            i.PointerSize, i.ServerGc, i.HeapCount, i.Reader, i.WalkSeconds, s.Totals, s.Roots, s.FinalizerQueueLength,
            s.FinalizableObjects, s.Diagnostics, s.Types.Count(t => t.Count > 0), live.Select(TypeRow.From).ToArray(),
            s.Holders.Count, (top > 0 ? s.Holders.Take(top) : s.Holders).Select(HolderRow.From).ToArray(), s.Memory, s.Pinning);
    }
}

public sealed record SnapshotListRow(
    int Id, string? Name, string? File, string Source, DateTimeOffset TakenAt, long LiveCount, long LiveBytes, int TypeCount);

public sealed record SnapshotListResult(string Command, string? Action, IReadOnlyList<SnapshotListRow> Snapshots);

public sealed record DiffRow(
    string Type, string Module, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, string Change);

public sealed record HolderTypeRow(
    string Type, string Module, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, string Example);

public sealed record HolderDiffRow(
    string Holder, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, IReadOnlyList<HolderTypeRow> Types);

/// <summary>!snapdiff's result: by type (Rows) or by holder (Holders, with ChangedHolders); the other list is empty.</summary>
public sealed record SnapDiffResult(
    string Command, string A, string B, string By, string Sort, string? TypePattern, int ChangedTypes, int NewTypes, int VanishedTypes,
    TotalsDelta Totals, IReadOnlyList<DiffRow> Rows, int ChangedHolders, IReadOnlyList<HolderDiffRow> Holders)
{
    public static SnapDiffResult From(SnapshotDiff diff, DiffSort sort, string? pattern, HolderDiff? byHolder = null) => new(
        "snapdiff", diff.A, diff.B, byHolder is null ? "type" : "holder", sort == DiffSort.Count ? "count" : "bytes", pattern,
        diff.ChangedTypes, diff.NewTypes, diff.VanishedTypes, diff.Totals,
        byHolder is not null ? [] : diff.Rows.Select(r => new DiffRow(r.Type, r.Module, r.CountA, r.CountB, r.DeltaCount, r.BytesA, r.BytesB, r.DeltaBytes, r.Change)).ToArray(),
        byHolder?.ChangedHolders ?? 0,
        byHolder?.Holders.Select(h => new HolderDiffRow(h.Holder, h.CountA, h.CountB, h.DeltaCount, h.BytesA, h.BytesB, h.DeltaBytes,
            h.Types.Select(t => new HolderTypeRow(t.Type, t.Module, t.CountA, t.CountB, t.DeltaCount, t.BytesA, t.BytesB, t.DeltaBytes,
                Address.Format(t.ExampleAddress))).ToArray())).ToArray() ?? []);
}

public sealed record HelpEntry(string Name, string Summary);

public sealed record HelpResult(string Command, string? Topic, string? Text, IReadOnlyList<HelpEntry> Commands);

public sealed record RootPathResult(string Command, ObjectRef Target, bool Live, string? Holder, IReadOnlyList<RootPath> Paths);

public sealed record BackrefsResult(
    string Command, ObjectRef Target, string? Holder, int InstancesOfType, int InstancesSharingHolder,
    IReadOnlyList<BackrefNode> Nodes, IReadOnlyList<BackrefEdge> Edges, IReadOnlyList<BackrefCut> Cuts, string? DotFile, string? SvgFile);

public sealed record RetainedCommandResult(string Command, string Subject, int Objects, long ShallowBytes, long RetainedCount, long RetainedBytes, long LiveBytes);

public sealed record DominatorsCommandResult(string Command, long LiveBytes, IReadOnlyList<DominatorRow> Rows);

public sealed record GrowthSuspectRow(
    string Type, string Module, string? Holder, string Verdict, long[] Counts, long[] Bytes, long GrowthCount, long GrowthBytes,
    string Confidence, long? LevelsOffAt);

public sealed record HeapGrowthResult(
    string Command, string Verdict, string Reason, string? Note, LeakExt.Core.Growth.VerdictEvidence? Evidence,
    IReadOnlyList<LeakExt.Core.Growth.GrowthTotals> Totals, IReadOnlyList<LeakExt.Core.Growth.SeriesVerdict> Series,
    IReadOnlyList<GrowthSuspectRow> Types, IReadOnlyList<GrowthSuspectRow> Suspects, string? HtmlFile)
{
    public static HeapGrowthResult From(LeakExt.Core.Growth.GrowthReport report, string? htmlFile)
    {
        static GrowthSuspectRow Row(LeakExt.Core.Growth.GrowthSuspect s) =>
            new(s.Type, s.Module, s.Holder, s.Verdict, s.Counts, s.Bytes, s.GrowthCount, s.GrowthBytes, s.Fit.Confidence,
                s.Fit.LevelsOffAt is { } level ? (long)level : null);
        return new HeapGrowthResult("heapgrowth", report.Verdict, report.Reason, report.Note, report.Evidence, report.Totals, report.Series,
            report.Types.Select(Row).ToArray(), report.Suspects.Select(Row).ToArray(), htmlFile);
    }
}

public sealed record FragmentationResult(
    string Command, long FreeBytes, long HeapBytes, double FreePercent, IReadOnlyList<LeakExt.Core.Growth.FreeByGeneration> Generations,
    IReadOnlyList<LeakExt.Core.Growth.FreeBySegment> Segments, IReadOnlyList<LeakExt.Core.Growth.FreeBlock> LargestFree, int PinnedCount,
    IReadOnlyList<LeakExt.Core.Growth.PinnedObject> Pinned);
