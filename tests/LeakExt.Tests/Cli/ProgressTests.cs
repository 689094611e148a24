using LeakExt.Cli;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

/// <summary>The progress line on a terminal: erased before any output, with the phase and the time left; never with -json.</summary>
[Collection("dumps")]
public sealed class ProgressTests(DumpFixture fixture)
{
    [Fact]
    public void The_time_left_follows_the_pace_of_the_phase()
    {
        TimeSpan now = TimeSpan.Zero;
        var progress = new ConsoleProgress(new StringWriter(), TimeSpan.Zero, () => now, () => 200);
        progress.Report(new WalkProgress("enumerating roots", 0, 0));
        now = TimeSpan.FromSeconds(4);
        progress.Report(new WalkProgress("walking heap", 100, 1000));
        now = TimeSpan.FromSeconds(6);
        // 300 of 1,000 in the 2 s since the phase began at 100: 700 more at 100 a second.
        Assert.Equal("walking heap: 30%, about 7 s left (6.0 s, Ctrl-C cancels)",
            progress.Describe(new WalkProgress("walking heap", 300, 1000), TimeSpan.FromSeconds(2), now));
        Assert.Equal("walking heap: 30% (6.0 s, Ctrl-C cancels)",
            progress.Describe(new WalkProgress("walking heap", 300, 1000), TimeSpan.FromSeconds(0.5), now));
        Assert.Equal("marking live objects: 1,234 (6.0 s, Ctrl-C cancels)",
            progress.Describe(new WalkProgress("marking live objects", 1234, 0), TimeSpan.FromSeconds(3), now));
    }

    [Fact]
    public void Output_never_runs_on_after_the_progress_line()
    {
        // stdout and stderr on one terminal: one writer, read back as a terminal shows it.
        var terminal = new StringWriter();
        Run(terminal, "snapshot -top 3");
        string written = terminal.ToString();
        Assert.Contains("Ctrl-C cancels", written);
        string[] screen = Screen(written);
        Assert.DoesNotContain(screen, row => row.Contains("Ctrl-C cancels", StringComparison.Ordinal));
        Assert.Contains(screen, row => row.StartsWith("Snapshot #1 of dump checkpoint-1.dmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_but_the_document_with_json()
    {
        var terminal = new StringWriter();
        Run(terminal, "snapshot -top 3 -json");
        Sessions.Json(terminal.ToString());
        Assert.DoesNotContain("Ctrl-C cancels", terminal.ToString());
    }

    private void Run(StringWriter terminal, string command)
    {
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("Crawler")[0])));
        using var interrupts = new InterruptHandler(registerSignals: false);
        var host = new SessionHost(new LeakSession(target), new StringReader(""), terminal, terminal, terminal: false, showProgress: true, interrupts)
        {
            ProgressDelay = TimeSpan.Zero,
        };
        Assert.Equal(0, host.RunBatch([command]));
    }

    /// <summary>What a terminal shows for <paramref name="text"/>: '\r' returns to the start of the row, later characters overwrite.</summary>
    private static string[] Screen(string text)
    {
        var rows = new List<string>();
        var row = new System.Text.StringBuilder();
        int column = 0;
        foreach (char c in text)
        {
            if (c == '\n')
            {
                rows.Add(row.ToString().TrimEnd());
                row.Clear();
                column = 0;
            }
            else if (c == '\r')
                column = 0;
            else
            {
                if (column < row.Length)
                    row[column] = c;
                else
                    row.Append(c);
                column++;
            }
        }
        rows.Add(row.ToString().TrimEnd());
        return rows.ToArray();
    }
}
