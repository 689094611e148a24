using LeakExt.Core.Growth;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>The Growth target's six scenarios (see its header), each dumped after 6 phases: one verdict each.</summary>
[Collection("dumps")]
public sealed class GrowthDumpTests(DumpFixture fixture)
{
    private GrowthReport Analyze(string scenario)
    {
        // The target runs one phase per checkpoint; how long each dump took depends on the machine's
        // load, and the verdicts weigh real time. So the series is stamped a minute a phase, as built.
        var store = new SnapshotStore();
        int phase = 0;
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (string dump in fixture.Dumps("Growth", false, scenario))
        {
            Snapshot snapshot = Sessions.Snapshot(dump, name: $"{scenario}-{++phase}");
            store.Add(snapshot with { Info = snapshot.Info with { TakenAt = start.AddMinutes(phase) } });
        }
        return GrowthAnalyzer.Analyze(store.All, top: 10);
    }

    private static GrowthSuspect Suspect(GrowthReport report, string type) => report.Types.Single(t => t.Type == type);

    private static SeriesVerdict Series(GrowthReport report, string name) => report.Series.Single(s => s.Series == name);

    [Fact]
    public void Steady_leak()
    {
        GrowthReport report = Analyze("leak");
        Assert.Equal(GrowthVerdict.Leak, report.Verdict);
        GrowthSuspect orders = Suspect(report, "Growth.LeakedOrder");
        Assert.Equal(Trend.Leak, orders.Verdict);
        Assert.Equal([20_000L, 40_000, 60_000, 80_000, 100_000, 120_000], orders.Counts);
        GrowthSuspect held = report.Suspects.Single(s => s.Type == "Growth.LeakedOrder");
        Assert.Equal("static Growth.Scenarios.s_orders › List<LeakedOrder> items", held.Holder);
        Assert.Equal(Trend.Leak, Series(report, "live managed bytes").Verdict);
        // 20,000 orders of 32 + 88 bytes a phase (plus the list's array): the pace, fitted against the dumps'
        // times (not evenly spaced, so within 10%), and nearly all of it in the holders that grew most.
        Assert.InRange(report.Evidence!.PerSnapshot, 20_000 * 120 * 0.9, 20_000 * 128 * 1.1);
        Assert.Equal(Confidence.High, report.Evidence.Confidence);
        Assert.True(report.Evidence.ExplainedFraction >= 0.95, $"explained {report.Evidence.ExplainedFraction}");
    }

    [Fact]
    public void Plateau_of_an_intern_table()
    {
        GrowthReport report = Analyze("plateau");
        Assert.Equal(GrowthVerdict.Plateau, report.Verdict);
        GrowthSuspect names = Suspect(report, "Growth.InternedName");
        Assert.True(names.Counts.Zip(names.Counts.Skip(1)).All(p => p.First <= p.Second), "the table never shrinks");
        Assert.Equal("static Growth.Scenarios.s_names › Dictionary<String, InternedName> values",
            report.Suspects.Single(s => s.Type == "Growth.InternedName").Holder);
        // The names' 512-byte notes carry the growth (the names themselves, 32 bytes each, stay under the 64 KiB floor).
        GrowthSuspect notes = report.Suspects.Single(s => s.Holder == "static Growth.Scenarios.s_names › Dictionary<String, InternedName> values › InternedName.Notes");
        Assert.Equal(Trend.Plateau, notes.Verdict);
        Assert.Equal(names.Counts, notes.Counts);
        Assert.Equal(Trend.Plateau, Series(report, "live managed bytes").Verdict);
        Assert.Equal(report.Series[0].LevelsOffAt, report.Evidence!.LevelsOffAt);
        Assert.Equal("live managed bytes", report.Evidence.Series);
    }

    [Fact]
    public void Churn_with_garbage_left_in_the_heap_is_not_a_leak()
    {
        GrowthReport report = Analyze("churn");
        Assert.Equal(GrowthVerdict.None, report.Verdict);
        Assert.DoesNotContain(report.Types, t => t.Type == "Growth.Keeper");
        Assert.DoesNotContain(report.Types, t => t.Type == "Growth.Scratch");
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
    }

    [Fact]
    public void Native_growth_with_a_flat_managed_heap()
    {
        GrowthReport report = Analyze("native");
        Assert.Equal(GrowthVerdict.Native, report.Verdict);
        SeriesVerdict native = Series(report, "non-GC memory");
        Assert.Equal(Trend.Leak, native.Verdict);
        // Six blocks of 8 MiB, written, never freed: at least 40 MiB more from the first snapshot to the last.
        Assert.True(native.Values[^1] - native.Values[0] >= 40L << 20, $"non-GC grew by {native.Values[^1] - native.Values[0]:N0} bytes");
        Assert.Equal(Trend.Stable, Series(report, "live managed bytes").Verdict);
    }

    [Fact]
    public void Fragmentation_by_pinned_objects()
    {
        GrowthReport report = Analyze("fragmentation");
        Assert.Equal(GrowthVerdict.Fragmentation, report.Verdict);
        Assert.Equal(Trend.Leak, Series(report, "free bytes in the GC heap").Verdict);
    }

    [Fact]
    public void Fragmentation_command_shows_the_pinned_objects_holding_free_space()
    {
        string dump = fixture.Dumps("Growth", false, "fragmentation")[^1];
        using var target = new LeakExt.Commands.Framework.OpenTargetProvider(new LeakExt.Core.Targets.TargetSession(LeakExt.Core.Targets.LeakTarget.OpenDump(dump)));
        (string text, string errors, var outcome) = Sessions.Run(new LeakExt.Commands.Framework.LeakSession(target), "fragmentation -top 5 -json");
        Assert.True(outcome == LeakExt.Commands.Framework.CommandDispatcher.Outcome.Succeeded, errors);
        var json = Sessions.Json(text);
        // Phases 1..6 pin k × 20 arrays each: 420 pinned by handles, plus whatever the runtime pins itself.
        // How many regions those pins keep open is the GC's choice; what the target guarantees is that
        // the heap is almost all free space around 420 × 224 pinned bytes (pins 448 KB apart).
        int pinnedCount = json.GetProperty("pinnedCount").GetInt32();
        Assert.InRange(pinnedCount, 420, 440);
        long freeBytes = json.GetProperty("freeBytes").GetInt64();
        Assert.True(freeBytes >= 50L * 420 * 224, $"free {freeBytes:N0} bytes");
        Assert.True(json.GetProperty("freePercent").GetDouble() >= 90, $"free {json.GetProperty("freePercent").GetDouble()}%");
        Assert.All(json.GetProperty("largestFree").EnumerateArray(), b => Assert.True(b.GetProperty("nextPinned").GetBoolean()));
        var pinned = json.GetProperty("pinned").EnumerateArray().ToList();
        Assert.Equal(5, pinned.Count);
        Assert.All(pinned, p =>
        {
            Assert.Equal("System.Byte[]", p.GetProperty("type").GetString());
            Assert.Equal("pinned-handle", p.GetProperty("pinnedBy").GetString());
            Assert.True(p.GetProperty("freeBefore").GetInt64() > 100_000);
        });
    }

    /// <summary>
    /// The snapshot's pinning summary, read from the free-block lists and mark bits, is what the
    /// fragmentation pass over every object finds: on each phase of the pinning target and on a leak.
    /// </summary>
    [Fact]
    public void Pinning_summary_agrees_with_the_full_fragmentation_pass()
    {
        string[] dumps = [.. fixture.Dumps("Growth", false, "fragmentation"), fixture.Dumps("Growth", false, "leak")[^1]];
        var summaries = new List<PinningSummary>();
        foreach (string dump in dumps)
        {
            using var session = new LeakExt.Core.Targets.TargetSession(LeakExt.Core.Targets.LeakTarget.OpenDump(dump));
            var heap = session.GetLiveHeap(LeakExt.Core.Heap.HeapReaderKind.Fast, null, CancellationToken.None);
            FragmentationReport full = FragmentationAnalyzer.Analyze(heap, top: int.MaxValue);
            FreeBlock[] largest = full.LargestFree.Take(FragmentationAnalyzer.LargestBlocksSummarized).ToArray();
            var expected = new PinningSummary(full.PinnedCount, full.Pinned.Sum(p => p.FreeBefore), largest.Length, largest.Count(b => b.NextPinned));
            summaries.Add(FragmentationAnalyzer.Summarize(heap));
            Assert.Equal(expected, summaries[^1]);
        }
        // The target's pins do hold free space open (its last phase), so the comparison is not of zeros.
        PinningSummary pinned = summaries[^2];
        Assert.InRange(pinned.PinnedObjects, 420, 440);
        Assert.True(pinned.FreeBytesBeforePinned > 420L * 100_000, $"{pinned.FreeBytesBeforePinned:N0} free bytes before pins");
        Assert.Equal(FragmentationAnalyzer.LargestBlocksSummarized, pinned.LargestFreeNextToPinned);
    }

    [Fact]
    public void Finalizer_backlog()
    {
        GrowthReport report = Analyze("finalizer");
        Assert.Equal(GrowthVerdict.FinalizerBacklog, report.Verdict);
        Assert.Equal([500L, 1000, 1500, 2000, 2500, 3000], Suspect(report, "Growth.Blocked").Counts);
        SeriesVerdict queue = Series(report, "finalizer queue");
        Assert.Equal(Trend.Leak, queue.Verdict);
        Assert.True(queue.Values[^1] >= 2999, $"queue {queue.Values[^1]}");
    }

    [Fact]
    public void Standalone_heapgrowth_over_a_folder_writes_a_self_contained_html_report()
    {
        string folder = fixture.TempFile("leak-series");
        Directory.CreateDirectory(folder);
        int phase = 0;
        foreach (string dump in fixture.Dumps("Growth", false, "leak"))
            SnapshotFile.Write(Sessions.Snapshot(dump, name: $"leak-{++phase}"), Path.Combine(folder, $"leak-{phase}.leaksnap"));

        string html = Path.Combine(folder, "report.html");
        CliResult result = CliRunner.Run("heapgrowth", folder, "--html", html);
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Contains("Verdict: leak", result.Out);
        Assert.Contains("Growth.LeakedOrder", result.Out);

        // One file, nothing from the network (the browser test, HtmlReportTests, checks what it shows).
        string page = File.ReadAllText(html);
        Assert.DoesNotContain("<script", page);
        Assert.DoesNotContain("<link", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", page);
        Assert.Contains("@media print", page);
    }

    [Fact]
    public void Two_snapshots_say_a_trend_needs_three()
    {
        var store = new SnapshotStore();
        IReadOnlyList<string> dumps = fixture.Dumps("Growth", false, "leak");
        store.Add(Sessions.Snapshot(dumps[0]));
        store.Add(Sessions.Snapshot(dumps[1]));
        GrowthReport report = GrowthAnalyzer.Analyze(store.All, 10);
        Assert.Equal(GrowthVerdict.Insufficient, report.Verdict);
        Assert.Equal("A trend needs at least three snapshots: take another one and run 'heapgrowth' again.", report.Note);
        Assert.Equal(Trend.Insufficient, Suspect(report, "Growth.LeakedOrder").Verdict);
    }
}
