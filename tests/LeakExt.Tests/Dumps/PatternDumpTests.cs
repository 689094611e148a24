using LeakExt.Core.Growth;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// The Patterns target's ten scenarios (see its header), dumped after each phase: memory behaviours
/// that must not cry wolf, and real problems that must be named. Each asserts its verdict and the
/// facts the target was built to produce (sizes it allocated, counts it kept), never a figure one
/// machine's GC happened to give; the fixture pins the gen0 budget.
/// </summary>
[Collection("dumps")]
public sealed class PatternDumpTests(DumpFixture fixture)
{
    private const long MiB = 1 << 20;

    private (GrowthReport Report, Snapshot[] Snapshots) Analyze(string scenario)
    {
        var store = new SnapshotStore();
        int phase = 0;
        foreach (string dump in fixture.Dumps("Patterns", false, scenario))
            store.Add(Sessions.Snapshot(dump, name: $"{scenario}-{++phase}"));
        return (GrowthAnalyzer.Analyze(store.All, top: 10), store.All.Select(s => s.Snapshot).ToArray());
    }

    private static SeriesVerdict Series(GrowthReport report, string name) => report.Series.Single(s => s.Series == name);

    [Fact]
    public void A_spike_that_is_released_is_none_and_its_free_regions_are_GC_memory()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("spike");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        // Phase 2 holds 48 Ki arrays of 1,000 bytes (1,024 with their headers); phase 3 drops them all.
        Assert.True(s[1].Totals.LiveBytes - s[0].Totals.LiveBytes >= 48 * 1024 * 1024L, $"live {s[0].Totals.LiveBytes:N0} → {s[1].Totals.LiveBytes:N0}");
        Assert.True(Math.Abs(s[2].Totals.LiveBytes - s[0].Totals.LiveBytes) < 64 * 1024, $"live {s[0].Totals.LiveBytes:N0} → {s[2].Totals.LiveBytes:N0}");
        // What the GC emptied it keeps, as free regions or regions in use: GC memory stays up, not native memory.
        Assert.True(s[2].Totals.GcMemoryBytes >= 48 * MiB, $"GC memory {s[2].Totals.GcMemoryBytes:N0}");
        Assert.True(s[2].Totals.FreeRegionBytes > 0);
        SeriesVerdict native = Series(report, "non-GC memory");
        Assert.Equal(Trend.Stable, native.Verdict);
        Assert.True(native.Values[2] - native.Values[0] < 4 * MiB, $"non-GC {native.Values[0]:N0} → {native.Values[2]:N0}");
    }

    [Fact]
    public void Native_warm_up_then_flat_is_never_native()
    {
        (GrowthReport report, _) = Analyze("warmup");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        SeriesVerdict native = Series(report, "non-GC memory");
        Assert.Equal(Trend.Plateau, native.Verdict);
        Assert.Equal("#2 (warmup-2)", native.LevelsOffFrom);
        // 24 MiB taken once, every page written.
        Assert.True(native.Values[1] - native.Values[0] >= 24 * MiB, $"non-GC {native.Values[0]:N0} → {native.Values[1]:N0}");
        Assert.Contains("rose once", report.Reason);
    }

    [Fact]
    public void A_slow_leak_under_noise_is_a_leak_led_by_its_holder()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("slowleak");
        Assert.Equal(GrowthVerdict.Leak, report.Verdict);
        GrowthSuspect sessions = report.Suspects.Single(x => x.Type == "Patterns.Session");
        Assert.Equal("static Patterns.Scenarios.s_sessions › List<Session> items", sessions.Holder);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => 160L * i).ToArray(), sessions.Counts);
        GrowthSuspect state = report.Suspects.Single(x => x.Type == "System.Byte[]" && x.Holder == "static Patterns.Scenarios.s_sessions › List<Session> items › Session.State");
        Assert.Equal(Trend.Leak, state.Verdict);
        Assert.Equal(Confidence.High, state.Fit.Confidence);
        // +160 × 1,024 bytes a phase: half a percent of a heap of about 33 MiB, under ±2% of in-flight buffers.
        Assert.Equal(Enumerable.Range(1, 8).Select(i => 160L * 1024 * i).ToArray(), state.Bytes);
        long[] inFlight = s.Select(x => x.Holders.Where(h => h.Holder.StartsWith("static Patterns.Scenarios.s_inFlight", StringComparison.Ordinal)).Sum(h => h.Bytes)).ToArray();
        Assert.True(inFlight.Max() - inFlight.Min() > 3 * 160 * 1024, $"in flight {string.Join(", ", inFlight)}");
    }

    [Fact]
    public void A_cache_cleared_every_third_phase_is_none()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("sawtooth");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
        // 4 Ki arrays a phase, cleared after phases 3 and 6.
        long[] cached = s.Select(x => x.Holders.Where(h => h.Type == "System.Byte[]" && h.Holder.StartsWith("static Patterns.Scenarios.s_cache ", StringComparison.Ordinal)).Sum(h => h.Count)).ToArray();
        Assert.Equal([4096L, 8192, 0, 4096, 8192, 0, 4096, 8192], cached);
    }

    [Fact]
    public void A_bounded_lru_that_wanders_is_none()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("lru");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
        long[] entries = s.Select(x => x.Types.Single(t => t.Type == "System.Collections.Generic.LinkedListNode<System.Int32>").Count).ToArray();
        Assert.All(entries, count => Assert.Equal(2000L, count));
    }

    [Fact]
    public void Growing_garbage_with_no_gc_is_none()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("garbage");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        // No GC ran at all (the target printed its collection counts), and 4 Ki dead arrays of 1,000 bytes piled up each phase.
        Assert.All(fixture.Dumps("Patterns", false, "garbage"), dump => Assert.Equal(0, fixture.Facts(dump)["gc-gen0"]));
        Assert.True(s[^1].Totals.DeadBytes - s[0].Totals.DeadBytes >= 5 * 4096 * 1024L, $"dead {s[0].Totals.DeadBytes:N0} → {s[^1].Totals.DeadBytes:N0}");
        Assert.Equal(Trend.Stable, Series(report, "free bytes in the GC heap").Verdict);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
    }

    [Fact]
    public void A_stable_heap_mostly_free_between_pins_is_fragmentation()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("fragmented");
        Assert.Equal(GrowthVerdict.Fragmentation, report.Verdict);
        Assert.Equal(Trend.Stable, Series(report, "free bytes in the GC heap").Verdict);
        // 200,000 arrays of 224 bytes, every 1,000th pinned: 200 pins over about 43 MiB, the rest free.
        Snapshot last = s[^1];
        Assert.InRange(last.Pinning!.PinnedObjects, 200, 220);
        Assert.True(last.Totals.FreeBytes >= 0.8 * last.Totals.CommittedBytes, $"free {last.Totals.FreeBytes:N0} of {last.Totals.CommittedBytes:N0}");
        Assert.True(last.Pinning.LargestFreeNextToPinned >= last.Pinning.LargestFreeBlocks / 2);
        Assert.StartsWith("free space right before pinned objects", report.Evidence!.ExplainedBy);
    }

    [Fact]
    public void Growing_pinned_fragmentation_is_fragmentation()
    {
        (GrowthReport report, Snapshot[] s) = Analyze("pinnedgrowth");
        Assert.Equal(GrowthVerdict.Fragmentation, report.Verdict);
        Assert.Equal(Trend.Leak, Series(report, "free bytes in the GC heap").Verdict);
        // Phase k pins k × 30 more arrays and keeps them: 30 × (2 + … + k) more pinned handles than at phase 1.
        long[] added = s.Select(x => x.Roots["pinned-handle"] - s[0].Roots["pinned-handle"]).ToArray();
        Assert.Equal(Enumerable.Range(1, 6).Select(k => 30L * k * (k + 1) / 2 - 30).ToArray(), added);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
    }

    [Fact]
    public void A_real_native_leak_is_native()
    {
        (GrowthReport report, _) = Analyze("native");
        Assert.Equal(GrowthVerdict.Native, report.Verdict);
        SeriesVerdict native = Series(report, "non-GC memory");
        Assert.Equal(Trend.Leak, native.Verdict);
        // 96 blocks of 64 KiB a phase, written and never freed: 30 MiB from the first snapshot to the last, of
        // which malloc may serve a little from memory it already held (within 10%).
        Assert.InRange(native.Values[^1] - native.Values[0], 27 * MiB, 33 * MiB);
        Assert.InRange(report.Evidence!.PerSnapshot, 5.4 * MiB, 6.6 * MiB);
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
    }

    [Fact]
    public void A_finalizer_waiting_for_a_lock_is_a_finalizer_backlog()
    {
        (GrowthReport report, _) = Analyze("finalizer");
        Assert.Equal(GrowthVerdict.FinalizerBacklog, report.Verdict);
        SeriesVerdict queue = Series(report, "finalizer queue");
        // 300 a phase; the finalizer thread may have taken the first one off the queue while it waits for the lock.
        for (int i = 0; i < 6; i++)
            Assert.InRange(queue.Values[i], 300L * (i + 1) - 1, 300L * (i + 1));
        Assert.Equal([300L, 600, 900, 1200, 1500, 1800], report.Types.Single(t => t.Type == "Patterns.Locked").Counts);
    }
}
