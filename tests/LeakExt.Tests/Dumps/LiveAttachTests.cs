using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Capture;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>Attaching to a live process: the snapshot sees the same objects, and the process runs on afterwards.</summary>
[Collection("dumps")]
public sealed class LiveAttachTests
{
    [Fact]
    public void Attach_snapshots_a_running_process_and_leaves_it_running()
    {
        var seen = new List<long>();
        var runner = new CheckpointRunner
        {
            FileName = "dotnet",
            Arguments = [Repository.TargetProgram("Crawler"), "2"],
            CheckpointTimeout = TimeSpan.FromMinutes(2),
            NotAChild = true,
        };
        runner.Run((pid, number, _) =>
        {
            CliResult result = CliRunner.Run("attach", pid.ToString(), "-c", "snapshot -json");
            Assert.True(result.ExitCode == 0, result.Errors);
            var types = Sessions.Json(result.Out).GetProperty("types").EnumerateArray();
            seen.Add(types.Single(t => t.GetProperty("type").GetString() == "Crawler.Hyperlink").GetProperty("count").GetInt64());
            // Detached: the kernel reports the process as running or sleeping, not stopped by a tracer.
            if (!OperatingSystem.IsLinux())
                return;
            string state = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][..1];
            Assert.NotEqual("t", state);
            Assert.NotEqual("T", state);
        });
        // The runner only returns after the target reached its second checkpoint and exited: it was resumed.
        Assert.Equal([2000L, 4000L], seen);
    }

    [Fact]
    public void Cancelling_mid_walk_detaches_and_the_process_runs_on()
    {
        var outcomes = new List<CommandDispatcher.Outcome>();
        new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Crawler"), "2"], NotAChild = true }.Run((pid, number, _) =>
        {
            if (number != 1)
                return;
            using var cancel = new CancellationTokenSource();
            var session = new LeakSession(new LiveProcessTargetProvider(pid, null));
            var output = new CancellingOutput(cancel);
            outcomes.Add(CommandDispatcher.Run("snapshot", new CommandContext { Session = session, Output = output, CancellationToken = cancel.Token }));
            Assert.True(output.Reports > 0);
            if (OperatingSystem.IsLinux())
                Assert.DoesNotContain(File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][..1], new[] { "t", "T" });
        });
        // Reaching the end means the target was resumed after the cancelled command.
        Assert.Equal([CommandDispatcher.Outcome.Cancelled], outcomes);
    }

    /// <summary>Cancels the command from its first progress report, i.e. while the target is attached and suspended.</summary>
    private sealed class CancellingOutput(CancellationTokenSource cancel) : ICommandOutput, IProgress<WalkProgress>
    {
        public int Reports;
        public IProgress<WalkProgress>? Progress => this;
        public void Report(WalkProgress value)
        {
            Interlocked.Increment(ref Reports);
            cancel.Cancel();
        }
        public void Write(string text) { }
        public void WriteLink(string text, string command) { }
        public void WriteError(string message) { }
    }

    [Fact]
    public void Record_writes_a_series_that_heapgrowth_reads()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"leakext-record-{Environment.ProcessId}");
        try
        {
            CliResult? recorded = null;
            new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Growth"), "leak"], NotAChild = true }.Run((pid, number, _) =>
            {
                if (number == 2)
                    recorded = CliRunner.Run("record", pid.ToString(), "--every", "100ms", "--count", "3", "--out", folder);
            });
            Assert.NotNull(recorded);
            Assert.True(recorded.ExitCode == 0, recorded.Errors);
            Assert.Equal(3, Directory.GetFiles(folder, "*.leaksnap").Length);
            Assert.Contains("3/3", recorded.Out);

            CliResult growth = CliRunner.Run("heapgrowth", folder, "--json");
            Assert.Equal(0, growth.ExitCode);
            var json = Sessions.Json(growth.Out);
            // Three snapshots of a process paused at one checkpoint: the same heap three times.
            Assert.Equal("none", json.GetProperty("verdict").GetString());
            Assert.Equal(3, json.GetProperty("totals").GetArrayLength());
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }
    /// <summary>Records the Patterns target's live scenario at its checkpoint, while its background work goes on.</summary>
    private static (CliResult Result, Snapshot[] Snapshots) Record(string scenario, params string[] options)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"leakext-record-{scenario}-{Environment.ProcessId}");
        try
        {
            CliResult? recorded = null;
            new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Patterns"), scenario], NotAChild = true }.Run((pid, _, _) =>
                recorded = CliRunner.Run(["record", pid.ToString(), .. options, "--out", folder]));
            Assert.NotNull(recorded);
            Snapshot[] snapshots = Directory.GetFiles(folder, "*.leaksnap").Order(StringComparer.Ordinal).Select(SnapshotFile.Read).ToArray();
            return (recorded, snapshots);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Record_lets_the_target_run_at_least_as_long_as_it_was_stopped()
    {
        // A million live objects: each snapshot takes longer than the 100 ms asked for. The target adds a
        // Tick every 2 ms (500 a second) while it runs; between two snapshots it must have run at least as
        // long as the walk before took, so it adds at least a fifth of that (a busy machine runs it slower).
        (CliResult result, Snapshot[] snapshots) = Record("ticker", "--every", "100ms", "--count", "3");
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Equal(3, snapshots.Length);
        Assert.Contains("longer than the 100 ms interval", result.Out);
        Assert.Contains("Done: 3 of 3 snapshots", result.Out);
        Assert.Contains("Read the trend with: leakext heapgrowth ", result.Out);
        for (int i = 0; i < 2; i++)
        {
            long ticks = snapshots[i + 1].Live("Patterns.Tick") - snapshots[i].Live("Patterns.Tick");
            double walked = snapshots[i].Info.WalkSeconds;
            Assert.True(ticks >= 100 * walked, $"{ticks} ticks after a walk of {walked:0.00} s");
        }
    }

    [Fact]
    public void Record_and_attach_get_past_a_gc_in_progress()
    {
        // The target forces a blocking, compacting GC every few milliseconds: a stop often lands in one.
        (CliResult result, Snapshot[] snapshots) = Record("gcstorm", "--every", "100ms", "--count", "4");
        Assert.True(result.ExitCode == 0, result.Out + result.Errors);
        Assert.Equal(4, snapshots.Length);
        Assert.All(snapshots, s => Assert.Equal(300_000, s.Live("Patterns.Cached")));

        CliResult? attached = null;
        new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Patterns"), "gcstorm"], NotAChild = true }.Run((pid, _, _) =>
            attached = CliRunner.Run("attach", pid.ToString(), "-c", "snapshot -top 1", "-c", "snapshot -top 1", "-c", "snapshot -top 1"));
        Assert.True(attached!.ExitCode == 0, attached.Out + attached.Errors);
        Assert.Equal(3, attached.Out.Split("Snapshot #").Length - 1);
    }
}
