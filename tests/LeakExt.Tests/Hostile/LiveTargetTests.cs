using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using LeakExt.Cli;
using LeakExt.Core;
using LeakExt.Core.Capture;
using LeakExt.Core.Files;
using LeakExt.Core.Targets;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// Live targets as the user left them: a stopped process stays stopped, `record` hears Ctrl-C at any
/// moment and says what it kept, a target that dies mid-recording is one line and exit code 1.
/// Each test starts its target as a grandchild (see CheckpointRunner.NotAChild) and ends it.
/// </summary>
[Collection("dumps")]
public sealed class LiveTargetTests
{
    private static void Signal(int pid, string signal)
    {
        using Process kill = Process.Start("kill", [signal, pid.ToString()])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static void WaitForState(int pid, Func<char?, bool> wanted)
    {
        var clock = Stopwatch.StartNew();
        while (!wanted(ProcessStatus.State(pid)) && clock.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(20);
        Assert.True(wanted(ProcessStatus.State(pid)), $"process {pid} is in state {ProcessStatus.State(pid)}");
    }

    [LinuxFact]
    public void A_process_stopped_before_attach_stays_stopped_after_detach()
    {
        var states = new List<char?>();
        new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Churn")], NotAChild = true }.Run((pid, _, _) =>
        {
            Signal(pid, "-STOP");
            try
            {
                WaitForState(pid, s => s == 'T');
                CliResult result = CliRunner.Run("attach", pid.ToString(), "-c", "snapshot -top 1", "-c", "retained -type Churn.Keeper");
                Assert.True(result.ExitCode == 0, result.Errors);
                Assert.Contains("Retained by all 1,000 live instances of Churn.Keeper:", result.Out);
                Thread.Sleep(200);
                states.Add(ProcessStatus.State(pid));
            }
            finally
            {
                Signal(pid, "-CONT");
            }
        });
        // Stopped by the user (T) after two attach-detach rounds, not resumed by the detach; then continued by us and run to its end.
        Assert.Equal(['T'], states);
    }

    /// <summary>Standard output of `record` that presses Ctrl-C (as the handler sees it) when a given text is written.</summary>
    private sealed class InterruptingWriter(InterruptHandler interrupts, string trigger) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(trigger, StringComparison.Ordinal) == true)
                interrupts.Interrupt();
        }
    }

    [LinuxFact]
    public void Record_hears_Ctrl_C_between_its_steps_and_says_what_it_kept()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"leakext-record-cancel-{Environment.ProcessId}");
        try
        {
            (int Code, string Out, string Errors)? outcome = null;
            new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Churn")], NotAChild = true }.Run((pid, _, _) =>
            {
                using var interrupts = new InterruptHandler(registerSignals: false);
                // Ctrl-C right after the first file is written: before, the next snapshot started with a fresh token and the key was lost.
                var stdout = new InterruptingWriter(interrupts, "1/3");
                var stderr = new StringWriter();
                int code = new Recorder(stdout, stderr, interrupts).Run(pid, TimeSpan.Zero, 3, folder, null, new OutputOptions(ForceOption: "--force"));
                outcome = (code, stdout.ToString(), stderr.ToString());
                Assert.NotEqual('t', ProcessStatus.State(pid));
            });
            Assert.NotNull(outcome);
            Assert.Equal(0, outcome.Value.Code);
            Assert.Equal("", outcome.Value.Errors);
            Assert.EndsWith($"Stopped by Ctrl-C: 1 snapshot kept, in {folder}.\n", outcome.Value.Out.ReplaceLineEndings("\n"));
            Assert.DoesNotContain("2/3", outcome.Value.Out);
            Assert.Single(Directory.GetFiles(folder, "*.leaksnap"));
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [LinuxFact]
    public void A_target_that_exits_while_recording_is_one_line_and_exit_code_1()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"leakext-record-exit-{Environment.ProcessId}");
        try
        {
            CliResult? recorded = null;
            var runner = new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Crawler"), "1"], NotAChild = true };
            // The target is killed at our hands, so its runner finds it gone (a broken pipe, or its exit code): expected here.
            Exception? ended = Record.Exception(() => runner.Run((pid, _, _) =>
            {
                Task<CliResult> recording = Task.Run(() => CliRunner.Run("record", pid.ToString(), "--every", "0s", "--count", "100000", "--out", folder));
                var clock = Stopwatch.StartNew();
                while (!(Directory.Exists(folder) && Directory.GetFiles(folder, "*.leaksnap").Length >= 2) && clock.Elapsed < TimeSpan.FromMinutes(2) && !recording.IsCompleted)
                    Thread.Sleep(10);
                // Snapshots follow each other back to back: the kill lands while one is being taken.
                Signal(pid, "-KILL");
                Assert.True(recording.Wait(TimeSpan.FromMinutes(2)), "record did not end after its target died");
                recorded = recording.Result;
            }));
            Assert.True(ended is IOException or LeakExtException, ended?.ToString());
            Assert.NotNull(recorded);
            Assert.Equal(SessionHost.ExitFailure, recorded.ExitCode);
            string error = Assert.Single(recorded.ErrorLines);
            Match match = Regex.Match(error, @"^error: process (\d+) exited (during|before) snapshot (\d+); (\d+) snapshots kept, in (.+)\.$");
            Assert.True(match.Success, error);
            int kept = int.Parse(match.Groups[4].Value);
            Assert.Equal(kept + 1, int.Parse(match.Groups[3].Value));
            Assert.True(kept >= 2, error);
            Assert.Equal(kept, Directory.GetFiles(folder, "*.leaksnap").Length);
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
            Assert.DoesNotContain("Exception", recorded.Errors);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }
}
