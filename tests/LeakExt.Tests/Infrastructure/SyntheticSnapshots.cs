using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Small hand-made snapshots for unit and golden tests (fixed time, fixed numbers).</summary>
internal static class SyntheticSnapshots
{
    public static readonly DateTimeOffset Noon = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public static TypeStats Type(string name, long count, long bytes, string module = "App.dll", long dead = 0, int generation = 2)
    {
        long[] counts = new long[HeapGenerations.Count], sizes = new long[HeapGenerations.Count];
        counts[generation] = count;
        sizes[generation] = bytes;
        return new TypeStats(name, module, count, bytes, counts, sizes, dead, dead * 24);
    }

    public static Snapshot Make(string? name, params TypeStats[] types)
    {
        var generations = HeapGenerations.Names.Select((g, i) => i == 2
            ? new GenerationTotals(g, types.Sum(t => t.Count), types.Sum(t => t.Bytes), types.Sum(t => t.DeadCount), types.Sum(t => t.DeadBytes), 3, 300)
            : new GenerationTotals(g, 0, 0, 0, 0, 0, 0)).ToArray();
        var totals = new HeapTotals(types.Sum(t => t.Count), types.Sum(t => t.Bytes), types.Sum(t => t.DeadCount), types.Sum(t => t.DeadBytes),
            3, 300, 1 << 20, 1 << 24, generations);
        var info = new SnapshotInfo(name, Noon, "dump app.dmp", 4242, "10.0.12", 8, false, 1, "fast", 0.25);
        return new Snapshot(info, totals, types.OrderByDescending(t => t.Bytes).ToArray(),
            new Dictionary<string, long> { ["stack"] = 12, ["strong-handle"] = 7, ["weak-short-handle"] = 3 }, 2, 40,
            new SnapshotDiagnostics(0, 0, 0, 0));
    }
}
