using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>The Crawler target adds exactly 100 Page, 100 List&lt;Hyperlink&gt; and 2,000 Hyperlink per phase (see its header).</summary>
[Collection("dumps")]
public sealed class CrawlerDumpTests(DumpFixture fixture)
{
    private const string ListOfHyperlink = "System.Collections.Generic.List<Crawler.Hyperlink>";

    [Fact]
    public void Live_counts_are_exactly_what_each_phase_built()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        Assert.Equal(3, dumps.Count);
        for (int phase = 1; phase <= 3; phase++)
        {
            Snapshot snapshot = Sessions.Snapshot(dumps[phase - 1]);
            Assert.Equal(2000 * phase, snapshot.Live("Crawler.Hyperlink"));
            Assert.Equal(100 * phase, snapshot.Live("Crawler.Page"));
            Assert.Equal(100 * phase, snapshot.Live(ListOfHyperlink));
            Assert.Equal(50, snapshot.Live("Crawler.CacheEntry"));
            // The parsed documents are garbage from the moment they are made.
            Assert.Equal(0, snapshot.Live("Crawler.ParsedDocument"));
            Assert.Equal(32 * 2000 * phase, snapshot.Type("Crawler.Hyperlink")!.Bytes);
            Assert.Equal("Crawler.dll", snapshot.Type("Crawler.Hyperlink")!.Module);
            Assert.Equal(2000 * phase, snapshot.Type("Crawler.Hyperlink")!.CountByGeneration.Sum());
        }
    }

    [Fact]
    public void Fast_reader_agrees_exactly_with_ClrMD_per_object_enumeration()
    {
        // Every test target's dumps (of the growth scenarios, the heaviest: many roots, pinned objects, finalizers).
        IEnumerable<string> dumps = fixture.Dumps("Crawler").Concat(fixture.Dumps("Churn")).Concat(fixture.Dumps("Crawler", serverGc: true))
            .Concat(fixture.Dumps("Retention")).Concat(new[] { "leak", "fragmentation", "finalizer" }.Select(s => fixture.Dumps("Growth", false, s)[^1]));
        foreach (string dump in dumps)
        {
            using var target = LeakTarget.OpenDump(dump);
            LiveHeap fast = LiveHeap.Build(target, HeapReaderKind.Fast, null, CancellationToken.None);
            LiveHeap baseline = LiveHeap.Build(target, HeapReaderKind.ClrMd, null, CancellationToken.None);

            Assert.Equal(baseline.Index.ObjectCount, fast.Index.ObjectCount);
            Assert.True(baseline.Index.StartBits.AsSpan().SequenceEqual(fast.Index.StartBits), "object addresses differ");
            Assert.True(Enumerable.Range(0, fast.Index.ObjectCount).All(i => baseline.Index.SizeOf(i) == fast.Index.SizeOf(i)), "object sizes differ");
            for (int i = 0; i < fast.Index.ObjectCount; i++)
                Assert.Equal(baseline.Index.Types[baseline.Index.TypeIds[i]].MethodTable, fast.Index.Types[fast.Index.TypeIds[i]].MethodTable);
            Assert.True(baseline.Marks.MarkBits.AsSpan().SequenceEqual(fast.Marks.MarkBits), "live sets differ");
            Assert.Equal(baseline.Marks.LiveCount, fast.Marks.LiveCount);
            Assert.Equal(0, fast.Index.CorruptObjects);
            Assert.Equal(0, fast.Index.UnreadableBytes);
            Assert.Equal(0, baseline.Index.CorruptObjects);
            Assert.Equal(0, fast.Marks.InvalidReferences);
            // Both readers walk by the same rules; ClrMD's own walk is the independent check that they list every object, and only objects.
            HeapOracle.AssertListsClrMdsObjects(target, fast.Index);

            var snapshotFast = new TargetSession(target).TakeSnapshot(null, HeapReaderKind.Fast, null, default);
            var snapshotClrMd = new TargetSession(target).TakeSnapshot(null, HeapReaderKind.ClrMd, null, default);
            Assert.Equal(Rows(snapshotClrMd), Rows(snapshotFast));
            Assert.Equal(snapshotClrMd.Totals with { Generations = [] }, snapshotFast.Totals with { Generations = [] });
        }
    }

    private static string[] Rows(Snapshot s) =>
        s.Types.Select(t => $"{t.Type}|{t.Module}|{t.Count}|{t.Bytes}|{t.DeadCount}|{t.DeadBytes}|{string.Join(",", t.CountByGeneration)}").ToArray();

    [Fact]
    public void Server_GC_gives_the_same_live_counts_as_workstation_GC()
    {
        IReadOnlyList<string> workstation = fixture.Dumps("Crawler");
        IReadOnlyList<string> server = fixture.Dumps("Crawler", serverGc: true);
        for (int i = 0; i < 3; i++)
        {
            Snapshot w = Sessions.Snapshot(workstation[i]);
            Snapshot s = Sessions.Snapshot(server[i]);
            Assert.False(w.Info.ServerGc);
            Assert.True(s.Info.ServerGc);
            Assert.Equal(2, s.Info.HeapCount);
            string[] OwnTypes(Snapshot x) => x.Types.Where(t => t.Module == "Crawler.dll" || t.Type.Contains("Crawler.")).Select(t => $"{t.Type}={t.Count}").Order().ToArray();
            Assert.Equal(OwnTypes(w), OwnTypes(s));
            Assert.Equal(2000 * (i + 1), s.Live("Crawler.Hyperlink"));
        }
    }

    [Fact]
    public void Snapdiff_ranks_the_leaking_types_first_and_leaves_out_the_decoys()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        var session = new LeakSession(null);
        session.Snapshots.Add(Sessions.Snapshot(dumps[0], name: "one"));
        session.Snapshots.Add(Sessions.Snapshot(dumps[2], name: "three"));

        var json = Sessions.Json(Sessions.Run(session, "snapdiff -top 0 -json").Out);
        Assert.Equal((1, "one"), (json.GetProperty("a").GetProperty("index").GetInt32(), json.GetProperty("a").GetProperty("name").GetString()));
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        var names = rows.Select(r => r.GetProperty("type").GetString()!).ToList();

        // The cache's own structure (its entry array, the lists, the links, their URL strings, the pages) holds the growth.
        Assert.Equal(
            new[] { "Crawler.Hyperlink", "Crawler.Hyperlink[]", "Crawler.Page", ListOfHyperlink, "System.String",
                    "System.Collections.Generic.Dictionary<Crawler.Page, System.Collections.Generic.List<Crawler.Hyperlink>>+Entry[]" }.Order(),
            names.Take(6).Order());
        Assert.DoesNotContain("Crawler.ParsedDocument", names);
        Assert.DoesNotContain("Crawler.CacheEntry", names);

        var hyperlink = rows.Single(r => r.GetProperty("type").GetString() == "Crawler.Hyperlink");
        Assert.Equal(2000, hyperlink.GetProperty("countA").GetInt64());
        Assert.Equal(6000, hyperlink.GetProperty("countB").GetInt64());
        Assert.Equal(4000, hyperlink.GetProperty("deltaCount").GetInt64());
        Assert.Equal(128000, hyperlink.GetProperty("deltaBytes").GetInt64());

        var crawlerOnly = Sessions.Json(Sessions.Run(session, "snapdiff one three -type Crawler.* -sort count -json").Out);
        var crawlerRows = crawlerOnly.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("type").GetString()).ToList();
        Assert.Equal(["Crawler.Hyperlink", "Crawler.Hyperlink[]", "Crawler.Page"], crawlerRows);
    }

    [Fact]
    public void Snapdiff_with_one_snapshot_compares_it_with_the_current_target()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[1])));
        var session = new LeakSession(target);
        session.Snapshots.Add(Sessions.Snapshot(dumps[0]));
        var json = Sessions.Json(Sessions.Run(session, "snapdiff -type Crawler.Hyperlink -json").Out);
        Assert.Equal((0, "current"), (json.GetProperty("b").GetProperty("index").GetInt32(), json.GetProperty("b").GetProperty("name").GetString()));
        Assert.Equal(2000, json.GetProperty("rows")[0].GetProperty("deltaCount").GetInt64());
        Assert.Single(session.Snapshots.All);
    }

    [Fact]
    public void Leaksnap_files_round_trip_everything()
    {
        Snapshot original = Sessions.Snapshot(fixture.Dumps("Crawler")[2], name: "third");
        string file = fixture.TempFile("roundtrip.leaksnap");
        SnapshotFile.Write(original, file);
        Snapshot loaded = SnapshotFile.Read(file);

        Assert.Equal(original.Info with { TakenAt = default }, loaded.Info with { TakenAt = default });
        Assert.Equal(original.Info.TakenAt.ToUnixTimeMilliseconds(), loaded.Info.TakenAt.ToUnixTimeMilliseconds());
        Assert.Equal(Rows(original), Rows(loaded));
        Assert.Equal(original.Totals with { Generations = [] }, loaded.Totals with { Generations = [] });
        Assert.Equal(original.Totals.Generations, loaded.Totals.Generations);
        Assert.Equal(original.Roots.OrderBy(r => r.Key), loaded.Roots.OrderBy(r => r.Key));
        Assert.Equal(original.FinalizableObjects, loaded.FinalizableObjects);
        Assert.Equal(original.Diagnostics, loaded.Diagnostics);
    }

    [Fact]
    public void Cancelling_a_snapshot_leaves_the_session_usable()
    {
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("Crawler")[0])));
        var session = new LeakSession(target);
        var output = new StringCommandOutput();
        var outcome = CommandDispatcher.Run("snapshot", new CommandContext { Session = session, Output = output, CancellationToken = new CancellationToken(canceled: true) });
        Assert.Equal(CommandDispatcher.Outcome.Cancelled, outcome);
        Assert.Equal("snapshot: cancelled.\n", output.Errors.ReplaceLineEndings("\n"));
        Assert.Empty(session.Snapshots.All);

        (string text, _, var again) = Sessions.Run(session, "snapshot -name after");
        Assert.Equal(CommandDispatcher.Outcome.Succeeded, again);
        Assert.Contains("Snapshot #1 (after)", text);
    }
}
