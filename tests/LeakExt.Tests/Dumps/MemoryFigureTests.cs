using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Hosts;
using LeakExt.Tests.Infrastructure;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// The memory figures of a snapshot against the yardsticks: SOS <c>eeheap -gc</c> on the same dump,
/// and the runtime's own <c>GC.GetGCMemoryInfo()</c>, which every test target prints at each
/// checkpoint (tests/TestTargets/Shared/Checkpoint.cs).
/// </summary>
[Collection("dumps")]
public sealed class MemoryFigureTests(DumpFixture fixture)
{
    /// <summary>The GC commits memory in steps of at least 16 pages; what the program allocates after its last GC can take one more.</summary>
    private const long CommitStep = 16 * 4096;

    private static long FrozenCommitted(string dump)
    {
        using LeakTarget target = LeakTarget.OpenDump(dump);
        return target.Runtime.Heap.Segments.Where(s => s.Kind == GCSegmentKind.Frozen).Sum(s => (long)s.CommittedMemory.Length);
    }

    /// <summary>Dumps taken right after the target collected: its GCMemoryInfo describes that very heap.</summary>
    private IEnumerable<string> CollectedDumps() =>
        fixture.Dumps("Patterns", false, "spike").Concat(fixture.Dumps("Patterns", false, "slowleak")).Concat(fixture.Dumps("Growth", false, "fragmentation"));

    [Fact]
    public void Gc_memory_is_what_the_runtime_reports_committed()
    {
        foreach (string dump in CollectedDumps())
        {
            Snapshot snapshot = Sessions.Snapshot(dump);
            // TotalCommittedBytes counts regions in use and free regions, not the frozen heap SOS lists among the segments.
            long ours = snapshot.Totals.GcMemoryBytes - FrozenCommitted(dump);
            long runtime = fixture.Facts(dump)["gc-committed"];
            Assert.True(ours >= runtime && ours - runtime <= CommitStep, $"{dump}: ours {ours:N0}, the runtime's {runtime:N0}");
        }
    }

    [Fact]
    public void Free_regions_after_a_released_spike_are_counted_as_gc_memory()
    {
        string released = fixture.Dumps("Patterns", false, "spike")[2];
        Snapshot snapshot = Sessions.Snapshot(released);
        long runtime = fixture.Facts(released)["gc-committed"];
        // The spike's 48 MiB went back to the GC: most of it sits in free regions, none of it is native memory.
        Assert.True(snapshot.Totals.FreeRegionBytes > snapshot.Totals.CommittedBytes, $"free regions {snapshot.Totals.FreeRegionBytes:N0}, in use {snapshot.Totals.CommittedBytes:N0}");
        Assert.True(snapshot.Totals.GcMemoryBytes >= runtime, $"GC memory {snapshot.Totals.GcMemoryBytes:N0}, the runtime's {runtime:N0}");
        Assert.True(snapshot.Memory!.GcHeapBytes >= snapshot.Totals.GcMemoryBytes - CommitStep, $"process view {snapshot.Memory.GcHeapBytes:N0}");
    }

    [DotnetDumpFact]
    public void Committed_in_use_is_sos_eeheap_gc()
    {
        string[] dumps = [fixture.Dumps("Crawler")[^1], fixture.Dumps("Patterns", false, "spike")[2]];
        foreach (string dump in dumps)
        {
            string sos = DotnetDumpHost.Analyze(dump, "eeheap -gc");
            Match match = Regex.Match(sos, @"GC Committed Heap Size:\s+Size: 0x[0-9a-f]+ \((\d+)\) bytes", RegexOptions.None, TimeSpan.FromSeconds(1));
            Assert.True(match.Success, sos);
            Assert.Equal(long.Parse(match.Groups[1].Value), Sessions.Snapshot(dump).Totals.CommittedBytes);
        }
    }

    [Fact]
    public void Thread_stacks_are_found_on_a_linux_dump()
    {
        string dump = fixture.Dumps("Patterns", false, "spike")[0];
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump)));
        int threads = target.Use(s => s.Target.Runtime.Threads.Length, CancellationToken.None);
        Snapshot snapshot = Sessions.Snapshot(dump);
        // Each thread's stack is a mapping of its own, at least its guard page and the pages it used.
        Assert.True(snapshot.Memory!.StackBytes >= threads * 8192L, $"stacks {snapshot.Memory.StackBytes:N0} for {threads} threads");
    }

    [Fact]
    public void Snapshot_json_lists_types_with_only_dead_objects_so_dead_counts_add_up()
    {
        string dump = fixture.Dumps("Growth", false, "churn")[^1];
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump)));
        (string text, string errors, CommandDispatcher.Outcome outcome) = Sessions.Run(new LeakSession(target), "snapshot -json");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        var json = Sessions.Json(text);
        var types = json.GetProperty("types").EnumerateArray().ToList();
        Assert.Equal(json.GetProperty("totals").GetProperty("deadCount").GetInt64(), types.Sum(t => t.GetProperty("deadCount").GetInt64()));
        Assert.Equal(json.GetProperty("totals").GetProperty("deadBytes").GetInt64(), types.Sum(t => t.GetProperty("deadBytes").GetInt64()));
        // The churn's scratch objects were all dropped: a type with dead objects only.
        var scratch = types.Single(t => t.GetProperty("type").GetString() == "Growth.Scratch");
        Assert.Equal(0, scratch.GetProperty("count").GetInt64());
        Assert.True(scratch.GetProperty("deadCount").GetInt64() > 0);
        Assert.Equal(types.Count(t => t.GetProperty("count").GetInt64() > 0), json.GetProperty("typeCount").GetInt32());
    }
}
