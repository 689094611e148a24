using LeakExt.Core.Growth;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

/// <summary>
/// The overall verdict on synthetic series, one minute apart: the false alarms of issue 12 (a spike,
/// native warm-up, garbage, small native moves) say none or plateau, and real problems are named,
/// each with its evidence.
/// </summary>
public sealed class VerdictRulesTests
{
    private const long MiB = 1 << 20;

    /// <summary>One snapshot: a cache type and a request type make the live bytes; the rest is set as given.</summary>
    private sealed record Point(long Cache, long Request = 0, long Free = 0, long Dead = 0, long NonGc = 70 * MiB, long Queue = 0,
        long Committed = 0, long FreeRegions = 0, PinningSummary? Pinning = null);

    private static GrowthReport Analyze(params Point[] points)
    {
        var store = new SnapshotStore();
        for (int i = 0; i < points.Length; i++)
        {
            Point p = points[i];
            Snapshot s = SyntheticSnapshots.Make($"s{i + 1}",
                SyntheticSnapshots.Type("App.CacheEntry", p.Cache / 1000, p.Cache), SyntheticSnapshots.Type("App.Request", p.Request / 1000, p.Request));
            long live = p.Cache + p.Request;
            store.Add(s with
            {
                Info = s.Info with { TakenAt = SyntheticSnapshots.Noon.AddMinutes(i) },
                Totals = s.Totals with { FreeBytes = p.Free, DeadBytes = p.Dead, CommittedBytes = p.Committed > 0 ? p.Committed : live + p.Free + p.Dead + MiB, FreeRegionBytes = p.FreeRegions },
                FinalizerQueueLength = p.Queue,
                Memory = new ProcessMemory("dump", live, 4 * MiB, 6 * MiB, 60 * MiB, p.NonGc - 70 * MiB),
                Pinning = p.Pinning ?? new PinningSummary(0, 0, 10, 0),
            });
        }
        return GrowthAnalyzer.Analyze(store.All, top: 10);
    }

    private static SeriesVerdict Series(GrowthReport report, string name) => report.Series.Single(s => s.Series == name);

    [Fact]
    public void A_spike_that_is_released_is_not_a_leak_and_its_free_regions_are_not_native()
    {
        // 48 MiB of requests at #2, gone at #3; the GC keeps 40 MiB of free regions afterwards.
        GrowthReport report = Analyze(new Point(20 * MiB), new Point(20 * MiB, 48 * MiB), new Point(20 * MiB, FreeRegions: 40 * MiB),
            new Point(20 * MiB, FreeRegions: 40 * MiB), new Point(20 * MiB, FreeRegions: 38 * MiB), new Point(20 * MiB, FreeRegions: 38 * MiB));
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
        Assert.Equal(Trend.Stable, Series(report, "non-GC memory").Verdict);
        // GC memory: 21 MiB in use plus the 38 MiB of free regions.
        Assert.Equal(59 * MiB, report.Totals[^1].GcMemoryBytes);
    }

    [Fact]
    public void Native_memory_that_rises_once_at_warm_up_is_never_native()
    {
        GrowthReport report = Analyze(new Point(20 * MiB, NonGc: 70 * MiB), new Point(20 * MiB, NonGc: 94 * MiB), new Point(20 * MiB, NonGc: 94 * MiB + 100_000),
            new Point(20 * MiB, NonGc: 94 * MiB - 50_000), new Point(20 * MiB, NonGc: 94 * MiB + 60_000), new Point(20 * MiB, NonGc: 94 * MiB));
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        SeriesVerdict native = Series(report, "non-GC memory");
        Assert.Equal(Trend.Plateau, native.Verdict);
        Assert.Equal("#2 (s2)", native.LevelsOffFrom);
        Assert.InRange(native.LevelsOffAt!.Value, 94 * MiB - 100_000, 94 * MiB + 100_000);
        Assert.Contains("rose once and stays at 94.0 MiB (warm-up, not a leak)", report.Reason);
    }

    [Fact]
    public void Native_moving_by_4_percent_while_the_live_heap_levels_off_is_a_plateau()
    {
        // Issue 12: live heap levels off while native memory moves 71 → 74 MiB over six snapshots.
        long[] cache = [10 * MiB, 16 * MiB, 19 * MiB, 19 * MiB + 200_000, 19 * MiB + 150_000, 19 * MiB + 250_000];
        long[] native = [71 * MiB, 72 * MiB, 72 * MiB + 500_000, 73 * MiB, 73 * MiB + 400_000, 74 * MiB];
        GrowthReport report = Analyze(cache.Zip(native, (c, n) => new Point(c, NonGc: n)).ToArray());
        Assert.Equal(GrowthVerdict.Plateau, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "non-GC memory").Verdict);
        Assert.Equal("#3 (s3)", report.Evidence!.LevelsOffFrom);
    }

    [Fact]
    public void Garbage_and_the_free_space_around_it_are_not_fragmentation()
    {
        // No GC ran: dead bytes pile up, free space goes 168 KiB → 538 KiB in a 172 MiB heap.
        Point[] points = Enumerable.Range(0, 6).Select(i => new Point(20 * MiB, Dead: 25 * MiB * i, Free: 168 * 1024 + 74 * 1024 * i, Committed: 22 * MiB + 30 * MiB * i)).ToArray();
        GrowthReport report = Analyze(points);
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "free bytes in the GC heap").Verdict);
    }

    [Fact]
    public void A_stable_heap_mostly_free_space_held_by_pinned_objects_is_fragmentation()
    {
        var pinned = new PinningSummary(12_000, 150 * MiB, 10, 10);
        Point[] points = Enumerable.Range(0, 6).Select(_ => new Point(20 * MiB, Free: 160 * MiB, Committed: 180 * MiB, Pinning: pinned)).ToArray();
        GrowthReport report = Analyze(points);
        Assert.Equal(GrowthVerdict.Fragmentation, report.Verdict);
        Assert.StartsWith("88.9% of the GC heap's committed memory is free space (160.0 MiB), held open by 12,000 pinned objects", report.Reason);
        Assert.Equal(0.938, report.Evidence!.ExplainedFraction);

        // The same free space with no pinned object next to the largest blocks is not called fragmentation.
        Point[] unpinned = points.Select(p => p with { Pinning = new PinningSummary(3, 1024, 10, 1) }).ToArray();
        Assert.Equal(GrowthVerdict.None, Analyze(unpinned).Verdict);
    }

    [Fact]
    public void A_leak_names_its_holder_pace_and_share()
    {
        Point[] points = Enumerable.Range(0, 6).Select(i => new Point(20 * MiB + 2 * MiB * i, Request: 5 * MiB)).ToArray();
        GrowthReport report = Analyze(points);
        Assert.Equal(GrowthVerdict.Leak, report.Verdict);
        VerdictEvidence e = report.Evidence!;
        Assert.Equal("live managed bytes", e.Series);
        Assert.Equal(2 * MiB, e.PerSnapshot);
        Assert.Equal(2 * MiB, e.PerMinute);
        Assert.Equal(Confidence.High, e.Confidence);
        Assert.Equal(1.0, e.ExplainedFraction);
        Assert.Equal("the type that keeps growing", e.ExplainedBy);
    }

    [Fact]
    public void Native_growth_dominating_the_managed_heap_is_native()
    {
        Point[] points = Enumerable.Range(0, 6).Select(i => new Point(20 * MiB + 100_000 * i, NonGc: 70 * MiB + 6 * MiB * i)).ToArray();
        GrowthReport report = Analyze(points);
        Assert.Equal(GrowthVerdict.Native, report.Verdict);
        Assert.Equal("non-GC memory", report.Evidence!.Series);
        Assert.Null(report.Evidence.ExplainedFraction);
    }

    [Fact]
    public void A_growing_finalizer_queue_comes_first()
    {
        Point[] points = Enumerable.Range(0, 6).Select(i => new Point(20 * MiB + MiB * i, Queue: 300 * (i + 1))).ToArray();
        GrowthReport report = Analyze(points);
        Assert.Equal(GrowthVerdict.FinalizerBacklog, report.Verdict);
        Assert.Equal(SeriesUnit.Objects, report.Evidence!.Unit);
    }

    [Fact]
    public void Noise_that_hides_a_trend_says_how_many_more_snapshots_would_tell()
    {
        long[] noisy = [20 * MiB, 21 * MiB, 21 * MiB, 22 * MiB + 200 * 1024, 20 * MiB + 900 * 1024];
        GrowthReport report = Analyze(noisy.Select(v => new Point(v)).ToArray());
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        SeriesVerdict live = Series(report, "live managed bytes");
        Assert.Equal(Trend.Unclear, live.Verdict);
        Assert.Equal(2, live.MoreSnapshots);
        Assert.Equal("Live bytes need about 2 more snapshots at this pace to tell a trend from noise.", report.Note);
    }
}
