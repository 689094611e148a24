using System.Text.Json;
using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// The runtime's reference semantics, on real dumps: weak interior-pointer handles (the statics of
/// collectible assemblies) keep nothing alive; an object of a collectible type keeps its
/// LoaderAllocator alive; a ConditionalWeakTable's key keeps its value; an object that is a root
/// itself is a root for paths, dominators and retained sizes too (Plugin and Roots targets).
/// </summary>
[Collection("dumps")]
public sealed class ReferenceSemanticsTests(DumpFixture fixture)
{
    private static readonly HeapReaderKind[] Readers = [HeapReaderKind.Fast, HeapReaderKind.ClrMd];

    [Fact]
    public void An_unloaded_plugin_is_dead_before_the_GC_that_collects_it()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Plugin", false, "clean");
        foreach (HeapReaderKind reader in Readers)
        {
            Snapshot unloaded = Sessions.Snapshot(dumps[0], reader);
            // Its statics are held by a weak interior-pointer handle (kind 10), which ClrMD counts as strong.
            Assert.True(unloaded.Roots["weak-interior-handle"] > 0);
            Assert.DoesNotContain(unloaded.Types, t => t.Count > 0 && (t.Module == "PluginLib.dll" || t.Type.StartsWith("PluginLib.", StringComparison.Ordinal)));
            Assert.Equal(50, unloaded.Dead("PluginLib.PluginItem"));
            Assert.Equal(0, unloaded.Live("System.Reflection.LoaderAllocator"));
        }
        // What was called dead is what the next GCs collected.
        Snapshot collected = Sessions.Snapshot(dumps[1]);
        Assert.Equal(0, collected.Live("PluginLib.PluginItem") + collected.Dead("PluginLib.PluginItem"));
    }

    [Fact]
    public void A_plugin_kept_by_one_instance_is_traced_to_the_static_that_holds_it()
    {
        string dump = fixture.Dumps("Plugin", false, "leaky")[0];
        foreach (HeapReaderKind reader in Readers)
        {
            Snapshot snapshot = Sessions.Snapshot(dump, reader);
            Assert.Equal(50, snapshot.Live("PluginLib.PluginItem"));
            Assert.Equal(1, snapshot.Live("System.Reflection.LoaderAllocator"));
            HolderStats items = Assert.Single(snapshot.Holders, h => h.Type == "PluginLib.PluginItem");
            Assert.Equal("static Plugin.Host.s_kept › PluginInstance's collectible type › static PluginLib.PluginCache.s_items › List<PluginItem> items", items.Holder);
        }

        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        string allocator = Regex.Match(Sessions.Run(session, "backrefs -type System.Reflection.LoaderAllocator -depth 1").Out, @"LoaderAllocator (0x[0-9a-f]+)").Groups[1].Value;
        JsonElement path = Sessions.Json(Sessions.Run(session, $"rootpath {allocator} -json").Out).GetProperty("paths")[0];
        Assert.Equal("static Plugin.Host.s_kept", path.GetProperty("root").GetString());
        Assert.Equal(["PluginLib.PluginInstance", "System.Reflection.LoaderAllocator"],
            path.GetProperty("hops").EnumerateArray().Select(h => h.GetProperty("object").GetProperty("type").GetString()!).ToArray());
        Assert.Equal(HolderRules.CollectibleTypeStep, path.GetProperty("hops")[1].GetProperty("field").GetString());
        // The plugin's own 50 items and their list point at it too; backrefs shows who holds it from outside.
        string backrefs = Sessions.Run(session, $"backrefs {allocator} -depth 1").Out;
        Assert.Contains($"{HolderRules.CollectibleTypeStep} ← PluginLib.PluginInstance", backrefs);
        Assert.Matches(@"… \d+ more referrers \(objects of its collectible types held through it\)", backrefs);
    }

    [Fact]
    public void Root_paths_come_from_every_root_shortest_first_through_the_conditional_weak_table()
    {
        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("Roots").Single()))));
        string target = Address(session, "Roots.Target");
        JsonElement[] paths = Sessions.Json(Sessions.Run(session, $"rootpath {target} -all 10 -json").Out).GetProperty("paths").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 4, 5], paths.Select(p => p.GetProperty("hops").GetArrayLength()).ToArray());
        Assert.Equal(["strong handle", "strong handle", "strong handle", "static Roots.Graph.s_chain"], paths.Select(p => p.GetProperty("root").GetString()!).ToArray());
        Assert.Equal(HiddenEdges.ConditionalWeakTableKey, paths[1].GetProperty("hops")[1].GetProperty("field").GetString());

        string backrefs = Sessions.Run(session, $"backrefs {target} -depth 1").Out;
        Assert.Contains($"{HiddenEdges.ConditionalWeakTableKey} ← Roots.Key 0x", backrefs);
        Assert.Equal("static Roots.Graph.s_chain › Link.Next › Key as ConditionalWeakTable key",
            Sessions.Json(Sessions.Run(session, $"rootpath {target} -json").Out).GetProperty("holder").GetString());
    }

    [Fact]
    public void An_object_that_is_a_root_itself_is_dominated_by_no_other_object()
    {
        string dump = fixture.Dumps("Roots").Single();
        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        // Rooted is held by Owner and by a handle of its own: releasing Owner frees Owner alone.
        Assert.Equal((24L, 1L), Retained(session, "Roots.Owner"));
        Assert.Equal((24L + 1024, 2L), Retained(session, "Roots.Rooted"));
        // Shared is reachable from two statics: neither static's object dominates it, only the virtual root.
        Assert.Equal((24L + 524, 2L), Retained(session, "Roots.Shared"));

        using var target = new TargetSession(LeakTarget.OpenDump(dump));
        RetentionAnalysis analysis = target.GetAnalysis(null, CancellationToken.None);
        Dominators.Tree tree = analysis.DominatorTree(CancellationToken.None);
        foreach (string type in new[] { "Roots.Shared", "Roots.Rooted", "Roots.Target" })
        {
            int node = analysis.Index.IndexOf(ulong.Parse(Address(session, type)[2..], System.Globalization.NumberStyles.HexNumber));
            Assert.True(analysis.IsRootNode(node) || type == "Roots.Shared", type);
            Assert.Equal(Dominators.VirtualRoot, tree.Idom[node]);
        }
    }

    private static string Address(LeakSession session, string type) =>
        Regex.Match(Sessions.Run(session, $"backrefs -type {type} -depth 1").Out, Regex.Escape(type) + @" (0x[0-9a-f]+)").Groups[1].Value;

    private static (long Bytes, long Count) Retained(LeakSession session, string type)
    {
        JsonElement result = Sessions.Json(Sessions.Run(session, $"retained -type {type} -json").Out);
        return (result.GetProperty("retainedBytes").GetInt64(), result.GetProperty("retainedCount").GetInt64());
    }
}
