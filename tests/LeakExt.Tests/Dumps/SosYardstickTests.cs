using System.Text.Json;
using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;
using LeakExt.Tests.Hosts;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// LeakExt against the released dotnet-dump's SOS on the same dumps: live objects per type
/// (dumpheap -stat -live), the generation of objects (gcwhere), handle counts (gchandles) and
/// the roots of an object (gcroot). Where SOS is wrong, docs/sos.md says how, with the evidence;
/// here only what both must agree on is asserted. Frozen (non-GC heap) objects are all live in
/// LeakExt (they are never collected); SOS's -live lists those reachable from a root: they are
/// compared without them.
/// </summary>
[Collection("dumps")]
public sealed class SosYardstickTests(DumpFixture fixture)
{
    public static TheoryData<string, string> Targets => new()
    {
        { "Crawler", "" }, { "Retention", "" }, { "Roots", "" }, { "WebApp", "" }, { "Plugin", "leaky" }, { "Churn", "" },
    };



    private string DumpOf(string target, string argument) =>
        (argument.Length == 0 ? fixture.Dumps(target) : fixture.Dumps(target, false, argument))[^1];

    [DotnetDumpTheory]
    [MemberData(nameof(Targets))]
    public void Live_objects_per_type_are_SOS_dumpheap_live(string target, string argument)
    {
        string dump = DumpOf(target, argument);
        JsonElement snapshot = Snapshot(dump);
        var ours = new Dictionary<string, long>();
        foreach (JsonElement type in snapshot.GetProperty("types").EnumerateArray())
        {
            long frozen = type.GetProperty("byGeneration").TryGetProperty("frozen", out JsonElement f) ? f.GetProperty("count").GetInt64() : 0;
            long live = type.GetProperty("count").GetInt64() - frozen;
            // Several assemblies may define a type of one name (each System.Net one has its own NetEventSource).
            if (live > 0)
                ours[type.GetProperty("type").GetString()!] = ours.GetValueOrDefault(type.GetProperty("type").GetString()!) + live;
        }
        Dictionary<string, long> sos = LiveOutsideFrozen(dump, DotnetDumpHost.Analyze(dump, "dumpheap -live"));
        // What SOS gets wrong (docs/sos.md): it misses the roots of thread-static fields, so what a
        // [ThreadStatic] field holds is not live for it (for LeakExt it is, as for the GC): ours may
        // exceed SOS's count by the objects whose holder is a thread-static field, no more.
        var threadStatic = new Dictionary<string, long>();
        foreach (JsonElement holder in snapshot.GetProperty("holders").EnumerateArray())
            if (holder.GetProperty("holder").GetString()!.StartsWith("thread-static ", StringComparison.Ordinal))
                threadStatic[holder.GetProperty("type").GetString()!] = threadStatic.GetValueOrDefault(holder.GetProperty("type").GetString()!) + holder.GetProperty("count").GetInt64();
        string[] differences = ours.Keys.Union(sos.Keys)
            .Where(t => ours.GetValueOrDefault(t) != sos.GetValueOrDefault(t)
                        && !(sos.GetValueOrDefault(t) < ours.GetValueOrDefault(t) && ours.GetValueOrDefault(t) - sos.GetValueOrDefault(t) <= threadStatic.GetValueOrDefault(t)))
            .Select(t => $"{t}: ours {ours.GetValueOrDefault(t)}, SOS {sos.GetValueOrDefault(t)}").ToArray();
        Assert.True(differences.Length == 0, string.Join("\n", differences));
    }

    [DotnetDumpFact]
    public void Handle_counts_are_SOS_gchandles_and_generations_are_SOS_gcwhere()
    {
        string dump = fixture.Dumps("Roots").Single();
        JsonElement snapshot = Snapshot(dump);
        JsonElement roots = snapshot.GetProperty("roots");
        string sos = DotnetDumpHost.Analyze(dump, "gchandles -stat");
        foreach ((string label, string kind) in new[] { ("Strong Handles", "strong-handle"), ("Pinned Handles", "pinned-handle"),
                     ("Weak Long Handles", "weak-long-handle"), ("Weak Short Handles", "weak-short-handle"), ("Dependent Handles", "dependent-handle") })
            Assert.Equal(long.Parse(Regex.Match(sos, $@"{label}:\s+(\d+)").Groups[1].Value), roots.GetProperty(kind).GetInt64());

        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        foreach (string type in new[] { "Roots.Target", "Roots.Key", "Roots.Shared", "Roots.Rooted", "Roots.Owner" })
        {
            JsonElement row = snapshot.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("type").GetString() == type);
            string ourGeneration = Assert.Single(row.GetProperty("byGeneration").EnumerateObject()).Name;
            string address = Regex.Match(Sessions.Run(session, $"backrefs -type {type} -depth 1").Out, Regex.Escape(type) + @" (0x[0-9a-f]+)").Groups[1].Value;
            string where = DotnetDumpHost.Analyze(dump, $"gcwhere {address}");
            Match line = Regex.Match(where, $@"(?m)^{address[2..]}\s+\d+\s+[0-9a-f]+\s+(\d+)\s");
            Assert.True(line.Success, where);
            Assert.Equal($"gen{line.Groups[1].Value}", ourGeneration);
        }
    }

    /// <summary>Every root SOS's gcroot finds for an object is one LeakExt's rootpath -all starts from, and ours is never longer.</summary>
    [DotnetDumpFact]
    public void Roots_SOS_gcroot_finds_are_among_ours_and_our_shortest_path_is_no_longer()
    {
        string dump = fixture.Dumps("Roots").Single();
        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        foreach (string type in new[] { "Roots.Target", "Roots.Key", "Roots.Rooted" })
        {
            string address = Regex.Match(Sessions.Run(session, $"backrefs -type {type} -depth 1").Out, Regex.Escape(type) + @" (0x[0-9a-f]+)").Groups[1].Value;
            JsonElement[] paths = Sessions.Json(Sessions.Run(session, $"rootpath {address} -all 20 -json").Out).GetProperty("paths").EnumerateArray().ToArray();
            var ourFirstObjects = paths.Select(p => p.GetProperty("hops")[0].GetProperty("object").GetProperty("address").GetString()![2..]).ToHashSet();

            string gcroot = DotnetDumpHost.Analyze(dump, $"gcroot {address}");
            // Each chain: "-> ADDRESS  TYPE" lines after a root line; the first arrow is the root object.
            var chains = Regex.Split(gcroot, @"(?m)^\s+[0-9a-f]+ \(").Skip(1)
                .Select(chain => Regex.Matches(chain, @"-> ([0-9a-f]+)\s").Select(m => m.Groups[1].Value).ToArray()).Where(c => c.Length > 0).ToArray();
            Assert.NotEmpty(chains);
            foreach (string[] chain in chains)
            {
                // SOS roots a static at the runtime's array of statics; ours at the static, the array's element.
                string first = chain.Length > 1 && IsStaticsTable(session, chain[0]) ? chain[1] : chain[0];
                Assert.True(ourFirstObjects.Contains(first), $"{type}: SOS root object {first} is not where any of our paths starts:\n{gcroot}");
            }
            Assert.True(paths.Min(p => p.GetProperty("hops").GetArrayLength()) <= chains.Min(c => c.Length), gcroot);
        }
    }

    private static bool IsStaticsTable(LeakSession session, string address) =>
        Sessions.Json(Sessions.Run(session, $"rootpath 0x{address} -json").Out).GetProperty("holder").GetString()!
            .StartsWith(LeakExt.Core.Heap.RootSet.StaticsTable, StringComparison.Ordinal);

    private static JsonElement Snapshot(string dump)
    {
        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        return Sessions.Json(Sessions.Run(session, "snapshot -json").Out);
    }

    /// <summary>
    /// Objects `dumpheap -live` lists ("Address MT Size" lines, then its statistics naming each MT)
    /// per type, leaving out those in frozen segments.
    /// </summary>
    private static Dictionary<string, long> LiveOutsideFrozen(string dump, string output)
    {
        using var target = LeakTarget.OpenDump(dump);
        var frozen = target.Runtime.Heap.Segments.Where(s => s.Kind == Microsoft.Diagnostics.Runtime.GCSegmentKind.Frozen).Select(s => s.ObjectRange).ToArray();
        int statistics = output.IndexOf("Statistics:", StringComparison.Ordinal);
        var names = Regex.Matches(output[statistics..], @"(?m)^\s*([0-9a-f]{6,})\s+[\d,]+\s+[\d,]+\s+(\S.*?)\s*$")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var counts = new Dictionary<string, long>();
        foreach (Match object_ in Regex.Matches(output[..statistics], @"(?m)^\s*([0-9a-f]{6,})\s+([0-9a-f]{6,})\s+[\d,]+\s*$"))
        {
            ulong address = ulong.Parse(object_.Groups[1].Value, System.Globalization.NumberStyles.HexNumber);
            if (frozen.Any(range => range.Contains(address)))
                continue;
            string type = names[object_.Groups[2].Value];
            counts[type] = counts.GetValueOrDefault(type) + 1;
        }
        return counts;
    }
}
