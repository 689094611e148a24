using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Capture;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Hosts;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// Dumps the runtime writes at a crash (DOTNET_DbgEnableMiniDump), of the Crash target: the thread
/// an unhandled exception kills has its throw in flight, and the DAC's stack-root walk crashes on
/// it (SIGSEGV; SOS's `dumpheap -live` and `gcroot` die the same way). Every command completes,
/// that thread's stack is scanned conservatively and said so, and the counts are exact.
/// </summary>
[Collection("dumps")]
public sealed class CrashDumpTests(DumpFixture fixture)
{
    [Theory]
    [InlineData("main", 2)]
    [InlineData("main", 4)]
    [InlineData("thread", 2)]
    [InlineData("thread", 4)]
    public void A_crash_dump_is_read_whole_with_the_throwing_threads_stack_scanned(string mode, int dumpType)
    {
        string dump = fixture.CrashDump("Crash", dumpType, mode);
        foreach (HeapReaderKind reader in new[] { HeapReaderKind.Fast, HeapReaderKind.ClrMd })
        {
            Snapshot snapshot = Sessions.Snapshot(dump, reader);
            Assert.Equal(1000, snapshot.Live("Crash.Entry"));
            // main: the throwing main thread's StackHeld; thread: the crasher's, and Main's in Join.
            Assert.Equal(mode == "main" ? 1 : 2, snapshot.Live("Crash.StackHeld"));
            Assert.Equal(mode == "main" ? 1 : 2, snapshot.Live("Crash.Marker"));
            Assert.Equal(1, snapshot.Diagnostics.ConservativeStackThreads);
            Assert.True(snapshot.Roots["conservative-stack"] > 0);
            Assert.Equal(0, snapshot.Diagnostics.CorruptObjects);
        }

        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        (string text, string errors, var outcome) = Sessions.Run(session, "snapshot -top 0");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        Assert.Contains("Note: 1 thread was throwing an exception; the runtime's stack walk crashes on such a thread, so its stack was scanned conservatively", text);

        var holders = Sessions.Json(Sessions.Run(session, "snapshot -json").Out).GetProperty("holders").EnumerateArray()
            .Where(h => h.GetProperty("type").GetString() is "Crash.Entry" or "Crash.StackHeld")
            .Select(h => $"{h.GetProperty("type").GetString()} ×{h.GetProperty("count").GetInt64()}: {h.GetProperty("holder").GetString()}").Order().ToArray();
        Assert.Equal(mode == "main" ? 2 : 3, holders.Length);
        Assert.Equal("Crash.Entry ×1000: static Crash.Program.s_entries › List<Entry> items", holders[0]);
        Assert.Single(holders, h => Regex.IsMatch(h, @"^Crash\.StackHeld ×1: thread 0x[0-9a-f]+ \(managed \d+\) stack, conservative scan$"));
        if (mode == "thread")
            Assert.Single(holders, h => Regex.IsMatch(h, @"^Crash\.StackHeld ×1: thread 0x[0-9a-f]+ \(managed 1\) Crash\.Program\.Main$"));

        // Every heap command completes on it.
        string stackHeld = Regex.Match(Sessions.Run(session, "backrefs -type Crash.StackHeld").Out, @"StackHeld (0x[0-9a-f]+)").Groups[1].Value;
        foreach (string command in new[] { "fragmentation -top 3", "dominators -top 5", $"rootpath {stackHeld}", "retained -type Crash.Entry", "snapdiff" })
        {
            (_, string commandErrors, var commandOutcome) = Sessions.Run(session, command);
            Assert.True(commandOutcome == CommandDispatcher.Outcome.Succeeded, $"{command}: {commandErrors}");
        }
    }

    /// <summary>A mini dump lists the GC's segments but holds none of their memory: one line, and how to take a dump that does.</summary>
    [Fact]
    public void A_mini_dump_is_refused_in_one_line_that_says_how_to_take_one_with_the_heap()
    {
        string dump = fixture.CrashDump("Crash", 1, "main");
        var exception = Assert.Throws<LeakExt.Core.LeakExtException>(() => LeakTarget.OpenDump(dump));
        Assert.Equal("dump crash.dmp holds no GC heap memory (a mini dump); take a dump with the heap: 'leakext dump PID FILE', " +
                     "'dotnet-dump collect --type Heap', or DOTNET_DbgMiniDumpType=2 for the dumps the runtime writes at a crash.", exception.Message);
    }

    /// <summary>`dotnet-dump collect --type Mini` writes the same kind of dump of a live process: refused the same way.</summary>
    [Fact]
    public void A_mini_dump_of_a_live_process_is_refused_too()
    {
        string path = fixture.TempFile("live-mini.dmp");
        new CheckpointRunner
        {
            FileName = "dotnet",
            Arguments = [Repository.TargetProgram("Retention")],
            Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
        }.Run((pid, _, _) => new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(pid)
            .WriteDump(Microsoft.Diagnostics.NETCore.Client.DumpType.Normal, path, logDumpGeneration: false));
        var exception = Assert.Throws<LeakExt.Core.LeakExtException>(() => LeakTarget.OpenDump(path));
        Assert.StartsWith("dump live-mini.dmp holds no GC heap memory (a mini dump); take a dump with the heap:", exception.Message);
    }

    /// <summary>
    /// Not only crash dumps: a live process whose thread waits inside an exception filter has the
    /// same throw in flight. Its dump, and the live process itself, are read without crashing. The
    /// attach may stop the thread just after it reported the checkpoint, in a P/Invoke stub the JIT
    /// has just made and the runtime's stack walk cannot name yet (one attach in four on a loaded
    /// machine): the walk ends there, before the throw, and the thread's whole stack is scanned
    /// conservatively instead. Either way its own StackHeld stays live, held by that scan.
    /// </summary>
    [Fact]
    public void A_thread_waiting_in_an_exception_filter_is_scanned_conservatively_in_a_dump_and_live()
    {
        string dump = fixture.Dumps("Crash", false, "filter").Single();
        Snapshot fromDump = Sessions.Snapshot(dump);
        Assert.Equal(1, fromDump.Diagnostics.ConservativeStackThreads);
        Assert.Equal(2, fromDump.Live("Crash.StackHeld"));
        Assert.Equal(1000, fromDump.Live("Crash.Entry"));

        Snapshot? live = null;
        new CheckpointRunner
        {
            FileName = "dotnet",
            Arguments = [Repository.TargetProgram("Crash"), "filter"],
            Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
            NotAChild = true,
        }.Run((pid, _, _) =>
        {
            using var session = new TargetSession(LeakTarget.Attach(pid));
            live = session.TakeSnapshot(null, HeapReaderKind.Fast, null, CancellationToken.None);
        });
        Assert.Equal(1, live!.Diagnostics.ConservativeStackThreads);
        Assert.Equal(2, live.Live("Crash.StackHeld"));
        Assert.Contains(live.Holders, h => h.Type == "Crash.StackHeld" && h.Holder.EndsWith(" stack, conservative scan") && h.Count == 1);
    }

    /// <summary>SOS reads these dumps' objects (`dumpheap -stat`; its `-live` crashes): per type, its counts are our live plus dead ones.</summary>
    [DotnetDumpFact]
    public void Every_object_SOS_lists_is_live_or_dead_here()
    {
        string dump = fixture.CrashDump("Crash", 2, "thread");
        Snapshot snapshot = Sessions.Snapshot(dump);
        string output = DotnetDumpHost.Analyze(dump, "dumpheap -stat -type Crash.");
        var sos = Regex.Matches(output, @"(?m)^\s*[0-9a-f]+\s+([\d,]+)\s+[\d,]+\s+(Crash\.\S+)\s*$")
            .ToDictionary(m => m.Groups[2].Value, m => long.Parse(m.Groups[1].Value.Replace(",", "")));
        Assert.Equal(["Crash.CrashTestException", "Crash.Entry", "Crash.Entry[]", "Crash.Marker", "Crash.Program+<>c__DisplayClass1_0", "Crash.StackHeld"],
            sos.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach ((string type, long count) in sos)
            Assert.Equal(count, snapshot.Live(type) + snapshot.Dead(type));
    }
}
