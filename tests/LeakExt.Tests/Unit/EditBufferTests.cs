using LeakExt.Cli.Editing;
using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;

namespace LeakExt.Tests.Unit;

/// <summary>The REPL editor's pieces without a terminal: Emacs kills and words, history search, completion.</summary>
public sealed class EditBufferTests
{
    [Fact]
    public void Kills_words_and_yank_as_in_emacs()
    {
        var buffer = new EditBuffer();
        buffer.Set("backrefs -type Crawler.Hyperlink -depth 4");
        buffer.WordLeft();
        Assert.Equal(buffer.Length - 1, buffer.Cursor);
        buffer.WordLeft();
        buffer.KillToEnd();
        Assert.Equal("backrefs -type Crawler.Hyperlink -", buffer.Text);
        buffer.Home();
        buffer.WordRight();
        Assert.Equal(8, buffer.Cursor);
        buffer.End();
        buffer.Backspace();
        buffer.KillWordBack();
        Assert.Equal("backrefs -type ", buffer.Text);
        // Ctrl-W takes the word and the space after it, as bash does.
        buffer.Yank();
        Assert.Equal("backrefs -type Crawler.Hyperlink ", buffer.Text);
        buffer.KillToStart();
        Assert.Equal("", buffer.Text);
        buffer.Yank();
        Assert.Equal("backrefs -type Crawler.Hyperlink ", buffer.Text);
    }

    [Fact]
    public void Reverse_search_narrows_and_goes_older()
    {
        var history = new CommandHistory(null);
        foreach (string line in new[] { "snapshot -name a", "help rootpath", "snapshot -name b", "snapdiff a b" })
            history.Add(line);
        var search = new ReverseSearch("", 0, history.Lines.Count);
        search.Extend('s', history);
        Assert.Equal(3, search.Match);
        search.Extend('n', history);
        search.Extend('a', history);
        search.Extend('p', history);
        search.Extend('s', history);
        Assert.Equal(2, search.Match);
        search.Older(history);
        Assert.Equal(0, search.Match);
        search.Older(history);
        Assert.True(search.Failed);
        Assert.Equal(0, search.Match);
        Assert.Equal(0, search.MatchCursor(history));
    }

    [Fact]
    public void A_history_file_that_is_a_link_is_neither_read_nor_appended()
    {
        string folder = Directory.CreateTempSubdirectory("leakext-history").FullName;
        try
        {
            string real = Path.Combine(folder, "real");
            File.WriteAllLines(real, ["snapshot"]);
            string link = Path.Combine(folder, "link");
            File.CreateSymbolicLink(link, real);
            var history = new CommandHistory(link);
            Assert.Empty(history.Lines);
            history.Add("help");
            Assert.Equal(["snapshot"], File.ReadAllLines(real));

            var kept = new CommandHistory(real);
            kept.Add("help");
            Assert.Equal(["snapshot", "help"], new CommandHistory(real).Lines);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Completion_offers_commands_options_choices_and_snapshots()
    {
        var session = new LeakSession(null);
        var completion = new ReplCompletion(session);
        Assert.Equal(["snapdiff", "snapshot", "snapshots"], completion.Complete("snap", 4).Candidates);
        Assert.Equal(["-depth", "-dot"], completion.Complete("backrefs -d", 11).Candidates);
        Assert.Equal(["holder"], completion.Complete("snapdiff -by h", 14).Candidates);
        Assert.Equal(["rootpath"], completion.Complete("help ro", 7).Candidates);
        Assert.Equal(5, completion.Complete("help ro", 7).Start);
        Assert.Equal("\"Dictionary<A, B>", ReplCompletion.Insertion("Dictionary<A, B>", whole: false));
        Assert.Equal("snapshot", ReplCompletion.CommonPrefix(["snapshot", "snapshots"]));
    }
}
