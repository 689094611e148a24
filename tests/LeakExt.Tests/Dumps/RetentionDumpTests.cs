using System.Text.Json;
using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>The Retention target's five scenarios (see its header): holders named right, exact retained bytes, weak-only objects.</summary>
[Collection("dumps")]
public sealed class RetentionDumpTests(DumpFixture fixture)
{
    private string Dump => fixture.Dumps("Retention").Single();

    private JsonElement Json(params string[] commands)
    {
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(Dump)));
        (string text, string errors, var outcome) = Sessions.Run(new LeakSession(target), commands);
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        return Sessions.Json(text);
    }

    private static HolderStats Holder(Snapshot snapshot, string type) => Assert.Single(snapshot.Holders, h => h.Type == type);

    [Fact]
    public void Holders_name_the_static_event_the_timer_queue_and_the_static_cache()
    {
        Snapshot snapshot = Sessions.Snapshot(Dump);
        HolderStats subscribers = Holder(snapshot, "Retention.Subscriber");
        Assert.Equal((3L, "static Retention.Publisher.Changed › EventHandler targets"), (subscribers.Count, subscribers.Holder));

        HolderStats timers = Holder(snapshot, "Retention.TimerClient");
        Assert.Equal(4, timers.Count);
        Assert.EndsWith("timer queue callbacks", timers.Holder);
        Assert.StartsWith("static System.Threading.TimerQueue.", timers.Holder);

        HolderStats cached = Holder(snapshot, "Retention.CachedItem");
        Assert.Equal((25L, "static Retention.Cache.s_entries › Dictionary<Int32, CachedItem> values"), (cached.Count, cached.Holder));
        Assert.Equal("static Retention.Diamond.s_top › Top.Left › Left.Shared", Holder(snapshot, "Retention.Shared").Holder);
    }

    [Fact]
    public void Objects_only_a_thread_static_field_holds_are_live_and_named_by_it()
    {
        Snapshot snapshot = Sessions.Snapshot(Dump);
        Assert.Equal(4, snapshot.Live("Retention.ThreadItem"));
        Assert.Equal(0, snapshot.Dead("Retention.ThreadItem"));
        Assert.Matches(@"^thread-static Retention\.ThreadCache\.t_items \(thread 0x[0-9a-f]+\) › List<ThreadItem> items$", Holder(snapshot, "Retention.ThreadItem").Holder);
        Assert.True(snapshot.Roots.GetValueOrDefault("thread-static") >= 1);

        JsonElement path = Json($"rootpath 0x{Holder(snapshot, "Retention.ThreadItem").ExampleAddress:x} -json");
        Assert.StartsWith("thread-static Retention.ThreadCache.t_items", path.GetProperty("paths")[0].GetProperty("root").GetString());
    }

    [Fact]
    public void HashSet_ConcurrentDictionary_and_Queue_internals_are_folded()
    {
        Snapshot snapshot = Sessions.Snapshot(Dump);
        Assert.Equal((5L, "static Retention.Collections.s_tags › HashSet<Tag> items"), (Holder(snapshot, "Retention.Tag").Count, Holder(snapshot, "Retention.Tag").Holder));
        Assert.Equal((6L, "static Retention.Collections.s_sessions › ConcurrentDictionary<String, Session> values"),
            (Holder(snapshot, "Retention.Session").Count, Holder(snapshot, "Retention.Session").Holder));
        Assert.Equal((7L, "static Retention.Collections.s_jobs › Queue<Job> items"), (Holder(snapshot, "Retention.Job").Count, Holder(snapshot, "Retention.Job").Holder));
        // The collections' own nodes and arrays are held by the collection's root, not listed as members.
        Assert.Equal("static Retention.Collections.s_sessions",
            Holder(snapshot, "System.Collections.Concurrent.ConcurrentDictionary<System.String, Retention.Session>+Node").Holder);
    }

    [Fact]
    public void Fast_and_ClrMD_readers_find_the_same_holders()
    {
        string Rows(Snapshot s) => string.Join("\n", s.Holders.Select(h => $"{h.Type}|{h.Module}|{h.Holder}|{h.Count}|{h.Bytes}|{h.ExampleAddress:x}").Order());
        Assert.Equal(Rows(Sessions.Snapshot(Dump, HeapReaderKind.ClrMd)), Rows(Sessions.Snapshot(Dump)));
    }

    [Fact]
    public void Retained_bytes_of_the_diamond_are_exact()
    {
        JsonElement top = Json("backrefs -type Retention.Top -depth 1 -json").GetProperty("target");
        string topAddress = top.GetProperty("address").GetString()!;
        JsonElement retained = Json($"retained {topAddress} -json");
        Assert.Equal(1128, retained.GetProperty("retainedBytes").GetInt64());
        Assert.Equal(5, retained.GetProperty("retainedCount").GetInt64());
        Assert.Equal(32, retained.GetProperty("shallowBytes").GetInt64());

        Assert.Equal(24, Json("retained -type Retention.Left -json").GetProperty("retainedBytes").GetInt64());
        Assert.Equal(1048, Json("retained -type Retention.Shared -json").GetProperty("retainedBytes").GetInt64());
        // Left and Right together keep Shared: the set retains more than the sum of its members (24 + 24).
        Assert.Equal(24 + 24 + 1048, Json("retained -type Retention.Left|Retention.Right -json").GetProperty("retainedBytes").GetInt64());

        JsonElement dominators = Json("dominators -top 100000 -json");
        JsonElement row = dominators.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("object").GetProperty("type").GetString() == "Retention.Top");
        Assert.Equal(1128, row.GetProperty("retainedBytes").GetInt64());
        Assert.Equal("static Retention.Diamond.s_top", row.GetProperty("holder").GetString());
    }

    [Fact]
    public void Rootpath_runs_from_the_static_through_the_fields()
    {
        string shared = Json("backrefs -type Retention.Shared -depth 1 -json").GetProperty("target").GetProperty("address").GetString()!;
        JsonElement result = Json($"rootpath {shared} -json");
        JsonElement path = Assert.Single(result.GetProperty("paths").EnumerateArray());
        Assert.Equal("static Retention.Diamond.s_top", path.GetProperty("root").GetString());
        var hops = path.GetProperty("hops").EnumerateArray().Select(h => (h.GetProperty("object").GetProperty("type").GetString(), h.GetProperty("field").GetString())).ToArray();
        Assert.Equal([("Retention.Top", null), ("Retention.Left", "Left"), ("Retention.Shared", "Shared")], hops);

        // One root holds the diamond: the runtime's array of statics holds the same static, and gives no second path.
        JsonElement all = Json($"rootpath {shared} -all 3 -json");
        Assert.Equal("static Retention.Diamond.s_top", Assert.Single(all.GetProperty("paths").EnumerateArray()).GetProperty("root").GetString());
    }

    [Fact]
    public void Paths_name_array_elements_and_backrefs_draw_a_static_root_once()
    {
        string item = Json("backrefs -type Retention.CachedItem -depth 1 -json").GetProperty("target").GetProperty("address").GetString()!;
        JsonElement path = Json($"rootpath {item} -json").GetProperty("paths")[0];
        var fields = path.GetProperty("hops").EnumerateArray().Select(h => h.GetProperty("field").GetString()).ToArray();
        Assert.Null(fields[0]);
        Assert.Equal("_entries", fields[1]);
        Assert.Matches(@"^\[\d+\]\.value$", fields[2]);

        JsonElement graph = Json("backrefs -type Retention.Top -depth 3 -json");
        var roots = graph.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("roots").EnumerateArray().Select(r => r.GetString())).ToList();
        Assert.Single(roots, "static Retention.Diamond.s_top");
        // The runtime's statics array holds what the static holds: not a second root beside it.
        Assert.DoesNotContain(roots, r => r!.StartsWith("runtime statics table (", StringComparison.Ordinal));
    }

    [Fact]
    public void A_weakly_held_object_is_dead_and_shown_only_with_weak()
    {
        Snapshot snapshot = Sessions.Snapshot(Dump);
        Assert.Equal(0, snapshot.Live("Retention.WeakOnly"));
        Assert.Equal(1, snapshot.Dead("Retention.WeakOnly"));
        Assert.Equal(1, snapshot.Live("System.WeakReference<Retention.WeakOnly>"));

        JsonElement hidden = Json("backrefs -type Retention.WeakOnly -json");
        Assert.Equal(1, hidden.GetProperty("nodes").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, hidden.GetProperty("holder").ValueKind);

        JsonElement shown = Json("backrefs -type Retention.WeakOnly -weak -json");
        var kinds = shown.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("kind").GetString()).ToList();
        Assert.Contains("weak-short-handle", kinds);
        Assert.Contains(shown.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("object").ValueKind == JsonValueKind.Object
            && n.GetProperty("object").GetProperty("type").GetString() == "System.WeakReference<Retention.WeakOnly>");
        Assert.All(shown.GetProperty("edges").EnumerateArray(), e => Assert.True(e.GetProperty("weak").GetBoolean()));
    }

    [Fact]
    public void Backrefs_fold_collections_unless_raw_and_write_dot_and_svg()
    {
        JsonElement folded = Json("backrefs -type Retention.CachedItem -depth 2 -json");
        var labels = folded.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("label").GetString()).ToList();
        Assert.Contains("Dictionary<Int32, CachedItem> values", labels);
        Assert.DoesNotContain(folded.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("object").GetProperty("type").GetString()!.EndsWith("+Entry[]"));
        Assert.Equal(25, folded.GetProperty("instanceCount").GetInt32());
        Assert.Equal(25, folded.GetProperty("sharingHolderCount").GetInt32());

        JsonElement raw = Json("backrefs -type Retention.CachedItem -depth 2 -raw -json");
        Assert.Contains(raw.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("object").GetProperty("type").GetString()!.EndsWith("+Entry[]"));

        string dot = fixture.TempFile("cached.dot");
        Json($"backrefs -type Retention.CachedItem -dot {dot} -json");
        string text = File.ReadAllText(dot);
        Assert.StartsWith("digraph backrefs {", text);
        Assert.Contains("static Retention.Cache.s_entries", text);

        if (LeakExt.Commands.Rendering.Graphviz.FindDot() is not null)
        {
            string svg = fixture.TempFile("cached.svg");
            Json($"backrefs -type Retention.CachedItem -svg {svg} -json");
            Assert.Contains("<svg", File.ReadAllText(svg));
        }
    }

    [Fact]
    public void Svg_without_graphviz_says_how_to_get_it()
    {
        string? saved = Environment.GetEnvironmentVariable("LEAKEXT_DOT");
        try
        {
            Environment.SetEnvironmentVariable("LEAKEXT_DOT", "/nonexistent/dot");
            using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(Dump)));
            (_, string errors, var outcome) = Sessions.Run(new LeakSession(target), $"backrefs -type Retention.Top -svg {fixture.TempFile("x.svg")}");
            Assert.Equal(CommandDispatcher.Outcome.Failed, outcome);
            Assert.Equal("-svg needs Graphviz's 'dot', which is not installed; install graphviz (e.g. apt-get install graphviz) or write DOT with -dot FILE.\n", errors.ReplaceLineEndings("\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("LEAKEXT_DOT", saved);
        }
    }
}
