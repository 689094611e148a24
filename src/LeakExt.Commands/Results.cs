using LeakExt.Commands.Framework;
using LeakExt.Core;
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

/// <summary>Heap totals as every command names them: gcCommittedBytes is regions in use (SOS eeheap -gc), gcMemoryBytes adds free regions.</summary>
public sealed record SnapshotTotals(
    long LiveCount, long LiveBytes, long DeadCount, long DeadBytes, long FreeCount, long FreeBytes,
    long GcCommittedBytes, long GcReservedBytes, long FreeRegionBytes, long GcMemoryBytes, IReadOnlyList<GenerationTotals> Generations)
{
    public static SnapshotTotals From(HeapTotals t) => new(t.LiveCount, t.LiveBytes, t.DeadCount, t.DeadBytes, t.FreeCount, t.FreeBytes,
        t.CommittedBytes, t.ReservedBytes, t.FreeRegionBytes, t.GcMemoryBytes, t.Generations);
}

/// <summary>The process's memory by region kind; gcMemoryBytes is the same figure as in the totals.</summary>
public sealed record ProcessMemoryRow(
    string Source, long GcMemoryBytes, long RuntimeNativeBytes, long MappedImageBytes, long StackBytes, long OtherNativeBytes, long TotalBytes, long NonGcBytes)
{
    public static ProcessMemoryRow? From(LeakExt.Core.Growth.ProcessMemory? m) => m is null ? null
        : new(m.Source, m.GcHeapBytes, m.RuntimeNativeBytes, m.MappedImageBytes, m.StackBytes, m.OtherNativeBytes, m.TotalBytes, m.NonGcBytes);
}

public sealed record SnapshotResult(
    string Command, SnapshotRef Snapshot, string? File, string Source, int? ProcessId,
    string RuntimeVersion, int PointerSize, bool ServerGc, int HeapCount, string Reader, double WalkSeconds,
    SnapshotTotals Totals, IReadOnlyDictionary<string, long> Roots, long FinalizerQueueLength, long FinalizableObjects,
    SnapshotDiagnostics Diagnostics, int TypeCount, IReadOnlyList<TypeRow> Types, int HolderCount, IReadOnlyList<HolderRow> Holders,
    ProcessMemoryRow? Memory, PinningSummary? Pinning) : CommandDocument(Command)
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
        return new SnapshotResult("snapshot", SnapshotRef.From(stored), stored.File, i.Source, i.ProcessId, i.RuntimeVersion,
            i.PointerSize, i.ServerGc, i.HeapCount, i.Reader, i.WalkSeconds, SnapshotTotals.From(s.Totals), s.Roots, s.FinalizerQueueLength,
            s.FinalizableObjects, s.Diagnostics, s.Types.Count(t => t.Count > 0), live.Select(TypeRow.From).ToArray(),
            s.Holders.Count, (top > 0 ? s.Holders.Take(top) : s.Holders).Select(HolderRow.From).ToArray(), ProcessMemoryRow.From(s.Memory), s.Pinning);
    }
}

public sealed record SnapshotListRow(SnapshotRef Snapshot, string? File, string Source, long LiveCount, long LiveBytes, int TypeCount);

/// <summary>What -load or -drop did and to which snapshot; null for a plain list.</summary>
public sealed record SnapshotAction(SnapshotActionKind Kind, SnapshotRef Snapshot, string? File);

public sealed record SnapshotListResult(string Command, SnapshotAction? Action, IReadOnlyList<SnapshotListRow> Snapshots) : CommandDocument(Command);

public sealed record DiffRow(
    string Type, string Module, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, ChangeKind Change);

public sealed record HolderTypeRow(
    string Type, string Module, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, string Example);

public sealed record HolderDiffRow(
    string Holder, long CountA, long CountB, long DeltaCount, long BytesA, long BytesB, long DeltaBytes, IReadOnlyList<HolderTypeRow> Types);

/// <summary>Both sides' heap totals, named as in snapshot's totals with A or B after them.</summary>
public sealed record DiffTotals(
    long LiveCountA, long LiveCountB, long LiveBytesA, long LiveBytesB, long DeadBytesA, long DeadBytesB, long FreeBytesA, long FreeBytesB,
    long GcCommittedBytesA, long GcCommittedBytesB, long FinalizerQueueLengthA, long FinalizerQueueLengthB)
{
    public static DiffTotals From(TotalsDelta t) => new(t.LiveCountA, t.LiveCountB, t.LiveBytesA, t.LiveBytesB, t.DeadBytesA, t.DeadBytesB,
        t.FreeBytesA, t.FreeBytesB, t.CommittedBytesA, t.CommittedBytesB, t.FinalizerQueueA, t.FinalizerQueueB);
}

/// <summary>!snapdiff's result: by type (Rows) or by holder (Holders, with ChangedHolderCount); the other list is empty.</summary>
public sealed record SnapDiffResult(
    string Command, SnapshotRef A, SnapshotRef B, DiffGrouping By, DiffSort Sort, string? TypeFilter, IReadOnlyList<string>? MatchedTypes,
    int ChangedTypeCount, int NewTypeCount, int VanishedTypeCount,
    DiffTotals Totals, IReadOnlyList<DiffRow> Rows, int ChangedHolderCount, IReadOnlyList<HolderDiffRow> Holders) : CommandDocument(Command)
{
    public static SnapDiffResult From(StoredSnapshot a, StoredSnapshot b, SnapshotDiff diff, DiffSort sort, TypeSelection? types, HolderDiff? byHolder = null) => new(
        "snapdiff", SnapshotRef.From(a), SnapshotRef.From(b), byHolder is null ? DiffGrouping.Type : DiffGrouping.Holder, sort,
        types?.Text, types?.Types, diff.ChangedTypes, diff.NewTypes, diff.VanishedTypes, DiffTotals.From(diff.Totals),
        byHolder is not null ? [] : diff.Rows.Select(r => new DiffRow(r.Type, r.Module, r.CountA, r.CountB, r.DeltaCount, r.BytesA, r.BytesB, r.DeltaBytes, r.Change)).ToArray(),
        byHolder?.ChangedHolders ?? 0,
        byHolder?.Holders.Select(h => new HolderDiffRow(h.Holder, h.CountA, h.CountB, h.DeltaCount, h.BytesA, h.BytesB, h.DeltaBytes,
            h.Types.Select(t => new HolderTypeRow(t.Type, t.Module, t.CountA, t.CountB, t.DeltaCount, t.BytesA, t.BytesB, t.DeltaBytes,
                Address.Format(t.ExampleAddress))).ToArray())).ToArray() ?? []);
}

public sealed record HelpEntry(string Name, string Summary);

public sealed record HelpResult(string Command, string? Topic, string? Text, IReadOnlyList<HelpEntry> Commands) : CommandDocument(Command);

