using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Core.Growth;

/// <summary>One snapshot's totals in a series.</summary>
public sealed record GrowthTotals(
    string Snapshot, DateTimeOffset TakenAt, long LiveBytes, long LiveCount, IReadOnlyDictionary<string, long> LiveBytesByGeneration,
    long DeadBytes, long FreeBytes, long GcCommittedBytes, long? NonGcBytes, long FinalizerQueueLength, long HandleCount);

/// <summary>A type (and, when holders are known, one holder) whose objects changed over the series.</summary>
public sealed record GrowthSuspect(string Type, string Module, string? Holder, string Verdict, long[] Counts, long[] Bytes)
{
    public long GrowthBytes => Bytes[^1] - Bytes[0];
    public long GrowthCount => Counts[^1] - Counts[0];
}

/// <summary>The verdict of one whole-process series (managed live bytes, native memory, free space, finalizer queue).</summary>
public sealed record SeriesVerdict(string Series, string Verdict, long[] Values);

public sealed record GrowthReport(
    string Verdict, string Reason, string? Note, IReadOnlyList<GrowthTotals> Totals, IReadOnlyList<SeriesVerdict> Series,
    IReadOnlyList<GrowthSuspect> Types, IReadOnlyList<GrowthSuspect> Suspects);

/// <summary>
/// Reads a series of snapshots: is memory growing, at what pace, will it level off, and is it the
/// managed heap at all. Overall verdicts, in order: finalizer-backlog (the queue of finalizers
/// keeps growing), fragmentation (free space in the GC heap keeps growing, several times more than
/// live bytes), native (non-GC memory grows, several times more than live bytes), leak (live
/// managed bytes, or a major type, keep growing), plateau (growth that levels off), none.
/// </summary>
public static class GrowthAnalyzer
{
    /// <summary>A type's growth matters to the overall verdict from 1% of the live heap, and at least 64 KiB.</summary>
    public const double MajorShare = 0.01;
    public const long MajorFloor = 64 * 1024;

    /// <summary>Free or native growth explains the process's growth when it is this many times the live growth.</summary>
    public const double Dominance = 4;

    public static GrowthReport Analyze(IReadOnlyList<StoredSnapshot> series, int top)
    {
        if (series.Count < 2)
            throw new LeakExtException($"heapgrowth needs at least two snapshots (a trend needs three); this series has {series.Count}.");
        Snapshot[] snapshots = series.Select(s => s.Snapshot).ToArray();
        double[] times = snapshots.Select(s => (s.Info.TakenAt - snapshots[0].Info.TakenAt).TotalSeconds).ToArray();

        GrowthTotals[] totals = series.Select(Totals).ToArray();
        long[] live = totals.Select(t => t.LiveBytes).ToArray();
        long[] free = totals.Select(t => t.FreeBytes).ToArray();
        long[] queue = totals.Select(t => t.FinalizerQueueLength).ToArray();
        long[]? native = totals.All(t => t.NonGcBytes is not null) ? totals.Select(t => t.NonGcBytes!.Value).ToArray() : null;

        Trend liveTrend = Classify(live, times, 64 * 1024);
        Trend freeTrend = Classify(free, times, 64 * 1024);
        Trend queueTrend = Classify(queue, times, 10);
        Trend? nativeTrend = native is null ? null : Classify(native, times, 256 * 1024);
        var seriesVerdicts = new List<SeriesVerdict>
        {
            new("live managed bytes", Trends.Name(liveTrend), live),
            new("free bytes in the GC heap", Trends.Name(freeTrend), free),
            new("finalizer queue", Trends.Name(queueTrend), queue),
        };
        if (native is not null)
            seriesVerdicts.Add(new SeriesVerdict("non-GC memory", Trends.Name(nativeTrend!.Value), native));

        GrowthSuspect[] types = TypeSuspects(snapshots, times, top);
        GrowthSuspect[] suspects = HolderSuspects(snapshots, times, top);

        long major = Math.Max(MajorFloor, (long)(MajorShare * live.Max()));
        bool majorLeak = types.Any(t => t.Verdict == "leak" && t.GrowthBytes >= major);
        bool majorPlateau = types.Any(t => t.Verdict == "plateau" && t.GrowthBytes >= major);
        long liveGrowth = Math.Max(0, live[^1] - live[0]);
        bool freeDominates = free[^1] - free[0] > Dominance * liveGrowth;
        bool nativeDominates = native is not null && native[^1] - native[0] > Dominance * liveGrowth;

        (string verdict, string reason) = series.Count < 3
            ? ("insufficient", "two snapshots show a change, not a trend")
            : queueTrend == Trend.Leak && queue[^1] >= 100
                ? ("finalizer-backlog", $"the finalizer queue keeps growing ({queue[0]:N0} → {queue[^1]:N0} objects waiting): a finalizer is slow or blocked")
            : freeTrend == Trend.Leak && freeDominates
                ? ("fragmentation", $"free space inside the GC heap keeps growing ({Format(free[0])} → {Format(free[^1])}) while live bytes barely move ({Format(live[0])} → {Format(live[^1])}): look at pinned objects (!fragmentation)")
            : nativeTrend is Trend.Leak or Trend.Plateau && nativeDominates
                ? ("native", $"memory outside the GC heap grows ({Format(native![0])} → {Format(native[^1])}) while the managed heap barely moves ({Format(live[0])} → {Format(live[^1])})")
            : liveTrend == Trend.Leak || majorLeak
                ? ("leak", $"live managed memory keeps growing ({Format(live[0])} → {Format(live[^1])}), led by {Lead(types, "leak")}")
            : liveTrend == Trend.Plateau || majorPlateau
                ? ("plateau", $"memory grew, then levelled off ({Format(live[0])} → {Format(live[^1])}), led by {Lead(types, "plateau")}: a cache warming up")
            : ("none", "no steady growth");
        string? note = series.Count < 3 ? "A trend needs at least three snapshots: take another one and run !heapgrowth again." : null;
        return new GrowthReport(verdict, reason, note, totals, seriesVerdicts, types, suspects);
    }

    private static string Lead(GrowthSuspect[] types, string verdict) =>
        types.Where(t => t.Verdict == verdict).OrderByDescending(t => t.GrowthBytes).Select(t => t.Type).FirstOrDefault() ?? "no single type";

    private static string Format(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / (double)(1 << 30):0.0} GiB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    private static Trend Classify(long[] values, double[] times, double floor) =>
        TrendClassifier.Classify(values.Select(v => (double)v).ToArray(), times, floor);

    private static GrowthTotals Totals(StoredSnapshot stored)
    {
        Snapshot s = stored.Snapshot;
        var byGeneration = s.Totals.Generations.ToDictionary(g => g.Generation, g => g.LiveBytes);
        long handles = s.Roots.Where(r => r.Key.EndsWith("handle", StringComparison.Ordinal)).Sum(r => r.Value);
        return new GrowthTotals(stored.Label, s.Info.TakenAt, s.Totals.LiveBytes, s.Totals.LiveCount, byGeneration, s.Totals.DeadBytes,
            s.Totals.FreeBytes, s.Totals.CommittedBytes, s.Memory?.NonGcBytes, s.FinalizerQueueLength, handles);
    }

    /// <summary>Types ranked by how much they grew from first to last, and classified.</summary>
    private static GrowthSuspect[] TypeSuspects(Snapshot[] snapshots, double[] times, int top)
    {
        var series = new Dictionary<TypeKey, (long[] Counts, long[] Bytes)>();
        for (int i = 0; i < snapshots.Length; i++)
        {
            foreach (TypeStats row in snapshots[i].Types)
            {
                if (!series.TryGetValue(row.Key, out var values))
                    series[row.Key] = values = (new long[snapshots.Length], new long[snapshots.Length]);
                values.Counts[i] += row.Count;
                values.Bytes[i] += row.Bytes;
            }
        }
        return Rank(series.Select(p => (p.Key.Type, p.Key.Module, (string?)null, p.Value.Counts, p.Value.Bytes)), times, top);
    }

    /// <summary>(type, holder) pairs ranked by growth, when every snapshot has holders.</summary>
    private static GrowthSuspect[] HolderSuspects(Snapshot[] snapshots, double[] times, int top)
    {
        if (snapshots.Any(s => s.Holders.Count == 0))
            return [];
        var series = new Dictionary<(string, string, string), (long[] Counts, long[] Bytes)>();
        for (int i = 0; i < snapshots.Length; i++)
        {
            foreach (HolderStats row in snapshots[i].Holders)
            {
                var key = (row.Type, row.Module, row.Holder);
                if (!series.TryGetValue(key, out var values))
                    series[key] = values = (new long[snapshots.Length], new long[snapshots.Length]);
                values.Counts[i] += row.Count;
                values.Bytes[i] += row.Bytes;
            }
        }
        return Rank(series.Select(p => (p.Key.Item1, p.Key.Item2, (string?)p.Key.Item3, p.Value.Counts, p.Value.Bytes)), times, top);
    }

    private static GrowthSuspect[] Rank(IEnumerable<(string Type, string Module, string? Holder, long[] Counts, long[] Bytes)> series, double[] times, int top) =>
        series.Where(s => s.Bytes[^1] != s.Bytes[0] || s.Counts[^1] != s.Counts[0])
            .OrderByDescending(s => s.Bytes[^1] - s.Bytes[0]).ThenBy(s => s.Type, StringComparer.Ordinal).ThenBy(s => s.Holder, StringComparer.Ordinal)
            .Take(top > 0 ? top : int.MaxValue)
            .Select(s => new GrowthSuspect(s.Type, s.Module, s.Holder,
                Trends.Name(TrendClassifier.Classify(s.Bytes.Select(b => (double)b).ToArray(), times, 1024)), s.Counts, s.Bytes))
            .ToArray();
}
