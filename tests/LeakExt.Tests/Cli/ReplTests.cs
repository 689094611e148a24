using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

[Collection("dumps")]
public sealed class ReplTests(DumpFixture fixture)
{
    [Fact]
    public void Repl_runs_commands_reports_errors_and_goes_on()
    {
        string dump = fixture.Dumps("Crawler")[1];
        CliResult result = CliRunner.RunWithInput("!snapshot -name first -top 3\nsnapshot -top oops\n\nsnapshots\nexit\nsnapshot\n", "analyze", dump);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Snapshot #1 (first) of dump checkpoint-2.dmp", result.Out);
        Assert.Contains("#1  first", result.Out);
        Assert.Equal(["error: snapshot: -top expects a whole number ≥ 0, got 'oops'."], result.ErrorLines);
        // Nothing after 'exit' ran.
        Assert.DoesNotContain("Snapshot #2", result.Out);
    }

    [Fact]
    public void Batch_stops_at_the_first_failure_with_a_non_zero_exit_code()
    {
        string dump = fixture.Dumps("Crawler")[0];
        string saved = fixture.TempFile("batch.leaksnap");
        CliResult result = CliRunner.Run("analyze", dump, "-c", $"snapshot -name a -save {saved}", "-c", "snapdiff nope", "-c", "snapshots");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Saved to " + saved, result.Out);
        Assert.DoesNotContain("Id  Name", result.Out);
        Assert.True(File.Exists(saved));

        CliResult offline = CliRunner.Run("-c", $"snapdiff {saved} {saved} -json");
        Assert.Equal(0, offline.ExitCode);
        Assert.Equal(0, Sessions.Json(offline.Out).GetProperty("changedTypeCount").GetInt32());
    }
}
