using System.Diagnostics;
using LeakExt.Core.Capture;
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
}
