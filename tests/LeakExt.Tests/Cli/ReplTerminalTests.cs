using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

/// <summary>
/// The REPL's line editor in a real terminal (tmux, 80 columns), on the Crawler's last checkpoint:
/// wrapping, completion, reverse search, Ctrl-C, and history across a restart.
/// </summary>
[Collection("dumps")]
public sealed class ReplTerminalTests(DumpFixture fixture)
{
    private const string Prompt = "leakext>";

    private TmuxTerminal Start(string history) =>
        new(fixture.RunDirectoryCreated(), new Dictionary<string, string> { ["LEAKEXT_HISTORY"] = history }, 80, 30,
            "analyze", fixture.Dumps("Crawler")[2]);

    private string NewHistory(string name)
    {
        string path = fixture.TempFile(name);
        File.Delete(path);
        return path;
    }

    [TmuxFact]
    public void A_line_longer_than_the_terminal_wraps_under_one_prompt()
    {
        using TmuxTerminal terminal = Start(NewHistory("wrap.history"));
        terminal.WaitForLastRow(Prompt);
        // 87 characters after the 9 of the prompt: 96 columns, two rows at 80.
        string command = "snapdiff checkpoint-1 checkpoint-3 -top 10 -sort count -type Crawler.Hyperlink -by type";
        Assert.Equal(87, command.Length);
        terminal.Type(command);
        string[] screen = terminal.WaitFor(s => s.Any(r => r.EndsWith("-by type", StringComparison.Ordinal)), "the end of the line");
        Assert.Single(screen, row => row.StartsWith(Prompt, StringComparison.Ordinal));
        int first = Array.FindIndex(screen, row => row.StartsWith(Prompt, StringComparison.Ordinal));
        Assert.Equal(("leakext> " + command)[..80], screen[first]);
        Assert.Equal(("leakext> " + command)[80..], screen[first + 1]);

        // Editing in the middle keeps it so: Ctrl-A, a word forward, a character, Ctrl-E.
        terminal.Press("C-a", "M-f");
        terminal.Type("X");
        terminal.Press("C-e");
        screen = terminal.WaitFor(s => s.Any(r => r.StartsWith("leakext> snapdiffX ", StringComparison.Ordinal)), "the inserted X");
        Assert.Single(screen, row => row.StartsWith(Prompt, StringComparison.Ordinal));
        Assert.Equal(("leakext> snapdiffX" + command[8..])[80..], screen[first + 1]);
    }

    [TmuxFact]
    public void Tab_completes_commands_and_the_type_names_of_the_heap()
    {
        using TmuxTerminal terminal = Start(NewHistory("tab.history"));
        terminal.WaitForLastRow(Prompt);
        terminal.Type("snapd");
        terminal.Press("Tab");
        terminal.WaitForLastRow("leakext> snapdiff");

        // Before any snapshot, the dump's loaded types.
        terminal.Press("C-u");
        terminal.Type("retained -type Crawler.WebCr");
        terminal.Press("Tab");
        terminal.WaitForLastRow("leakext> retained -type Crawler.WebCrawler");

        terminal.Press("C-u");
        terminal.Type("snapshot -top 1");
        terminal.Press("Enter");
        terminal.WaitForLastRow(Prompt);
        terminal.Type("backrefs -type Crawler.Hyp");
        terminal.Press("Tab");
        // Crawler.Hyperlink and Crawler.Hyperlink[]: the common part, then both listed on a second Tab.
        terminal.WaitForLastRow("leakext> backrefs -type Crawler.Hyperlink");
        terminal.Press("Tab");
        string[] screen = terminal.WaitFor(s => s.Any(r => r.Contains("Crawler.Hyperlink[]", StringComparison.Ordinal)), "the candidates");
        Assert.Equal("leakext> backrefs -type Crawler.Hyperlink", screen.Last(r => r.Length > 0));
        terminal.Type(" -dep");
        terminal.Press("Tab");
        terminal.WaitForLastRow("leakext> backrefs -type Crawler.Hyperlink -depth");
        // Two candidates and nothing in common beyond what was typed: both are listed.
        terminal.Press("C-w");
        terminal.Type("-d");
        terminal.Press("Tab");
        terminal.WaitFor(s => s.Any(r => r.StartsWith("-depth", StringComparison.Ordinal) && r.Contains("-dot", StringComparison.Ordinal)), "-depth and -dot listed");
    }

    [TmuxFact]
    public void Ctrl_R_finds_an_earlier_command_and_Ctrl_C_drops_the_line()
    {
        using TmuxTerminal terminal = Start(NewHistory("search.history"));
        terminal.WaitForLastRow(Prompt);
        terminal.Type("help rootpath");
        terminal.Press("Enter");
        terminal.WaitForLastRow(Prompt);
        terminal.Type("help snapshots");
        terminal.Press("Enter");
        terminal.WaitForLastRow(Prompt);

        terminal.Press("C-r");
        terminal.Type("rootp");
        terminal.WaitForLastRow("(reverse-i-search)'rootp': help rootpath");
        terminal.Press("Enter");
        string[] screen = terminal.WaitFor(s => s.Count(r => r.StartsWith("usage: rootpath", StringComparison.Ordinal)) == 2, "rootpath's help twice");
        Assert.Equal(Prompt, screen.Last(r => r.Length > 0));

        terminal.Type("snapshot -bogus");
        terminal.Press("C-c");
        terminal.WaitForLastRow(Prompt);
        terminal.Type("snapshots");
        terminal.Press("Enter");
        screen = terminal.WaitFor(s => s.Any(r => r.StartsWith("No snapshots in this session", StringComparison.Ordinal)), "the snapshots command's answer");
        Assert.Contains("leakext> snapshot -bogus^C", screen);
        Assert.DoesNotContain(screen, row => row.Contains("-bogus'", StringComparison.Ordinal));
    }

    [TmuxFact]
    public void History_survives_a_restart()
    {
        string history = NewHistory("restart.history");
        using (TmuxTerminal first = Start(history))
        {
            first.WaitForLastRow(Prompt);
            first.Type("help dominators");
            first.Press("Enter");
            first.WaitForLastRow(Prompt);
            first.Type("exit");
            first.Press("Enter");
            first.WaitForExit();
        }
        Assert.Equal(["help dominators", "exit"], File.ReadAllLines(history));

        using TmuxTerminal second = Start(history);
        second.WaitForLastRow(Prompt);
        second.Press("Up", "Up");
        second.WaitForLastRow("leakext> help dominators");
    }
}
