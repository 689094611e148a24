using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;

namespace LeakExt.Tests.Hostile;

/// <summary>What reaches a terminal: control characters, C1, DEL and bidi marks from names are shown escaped, everything else as it is.</summary>
public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("Title\u001b]0;pwned\u0007", @"Title\e]0;pwned\a")]
    [InlineData("Clear\u001b[2J", @"Clear\e[2J")]
    [InlineData("Count\r999", @"Count\r999")]
    [InlineData("line\nfake line\ttab", @"line\nfake line\ttab")]
    [InlineData("nul\0bs\bff\fvt\v", @"nul\0bs\bff\fvt\v")]
    [InlineData("unit\u001fsep", @"unit\x1Fsep")]
    [InlineData("del\u007f c1\u0085\u009b", @"del\x7F c1\x85\x9B")]
    [InlineData("Reversed\u202Etxt.exe", @"Reversed\u202Etxt.exe")]
    [InlineData("\u202A\u202B\u202C\u202D", @"\u202A\u202B\u202C\u202D")]
    [InlineData("iso\u2066x\u2067y\u2068z\u2069", @"iso\u2066x\u2067y\u2068z\u2069")]
    [InlineData("marks\u200E\u200F\u061C", @"marks\u200E\u200F\u061C")]
    [InlineData("separators\u2028\u2029", @"separators\u2028\u2029")]
    [InlineData("System.Collections.Generic.List<Crawler.Page>", "System.Collections.Generic.List<Crawler.Page>")]
    [InlineData("static A.s_x › List<T> items … Δ ◆ 日本 😀", "static A.s_x › List<T> items … Δ ◆ 日本 😀")]
    [InlineData(@"C:\dumps\a.dmp", @"C:\dumps\a.dmp")]
    public void Escapes_exactly_what_a_terminal_would_act_on(string raw, string shown)
    {
        Assert.Equal(shown, TerminalText.Escape(raw));
        Assert.Equal(shown, TerminalText.Escape(shown));   // escaping twice changes nothing
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_is_kept()
    {
        Assert.Equal(@"lone\uD800surrogate", TerminalText.Escape("lone" + (char)0xD800 + "surrogate"));
        Assert.Equal(@"end\uDC00", TerminalText.Escape("end" + (char)0xDC00));
        Assert.Equal("pair \U0001F600", TerminalText.Escape("pair \U0001F600"));
    }

    [Fact]
    public void Text_output_escapes_every_write_and_keeps_only_its_own_line_breaks()
    {
        var host = new StringCommandOutput();
        var output = new TextOutput(host);
        output.WriteLine("Holder: static Evil\u001b[2J.s_x\nfake: line");
        output.Write("Type\r");
        output.WriteLink("0x10\u202E", "!rootpath 0x10");
        output.WriteLine();
        Assert.Equal("Holder: static Evil\\e[2J.s_x\\nfake: line\nType\\r0x10\\u202E\n", host.Text);
    }

    [Fact]
    public void Text_output_stops_at_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        var host = new StringCommandOutput();
        var output = new TextOutput(host, cancel.Token);
        output.WriteLine("one");
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => output.WriteLine("two"));
        Assert.Equal("one\n", host.Text);
    }

    [Fact]
    public void Table_columns_line_up_around_escaped_names()
    {
        var table = new TextTable(("Count", true), ("Type", false), ("Holder", false));
        table.Add("1", "Evil\u001b[2J", "static A.s_x");
        table.Add("22", "Plain", "static B.s_y");
        var host = new StringCommandOutput();
        table.WriteTo(new TextOutput(host));
        Assert.Equal(
            "Count  Type       Holder\n" +
            "    1  Evil\\e[2J  static A.s_x\n" +
            "   22  Plain      static B.s_y\n", host.Text);
    }

    [Fact]
    public void The_html_report_shows_the_escapes_too()
    {
        var store = new LeakExt.Core.Snapshots.SnapshotStore();
        for (int i = 1; i <= 3; i++)
        {
            var snapshot = Infrastructure.SyntheticSnapshots.Make($"s{i}", Infrastructure.SyntheticSnapshots.Type("Evil\u202Egnp.exe\u001b[2J", 1000 * i, 48_000L * i));
            store.Add(snapshot with { Info = snapshot.Info with { TakenAt = Infrastructure.SyntheticSnapshots.Noon.AddMinutes(i) } });
        }
        var report = LeakExt.Core.Growth.GrowthAnalyzer.Analyze(store.All, 10);
        string html = HtmlReport.Render(LeakExt.Commands.HeapGrowthResult.From(report, store.All, null));
        Assert.Contains(@"Evil\u202Egnp.exe\e[2J", html);
        Assert.DoesNotContain('\u202E', html);
        Assert.DoesNotContain('\u001b', html);
    }

    [Fact]
    public void Dot_labels_show_the_escapes_and_keep_dot_syntax_intact()
    {
        var node = new LeakExt.Core.Retention.BackrefNode(0, new LeakExt.Core.Retention.ObjectRef(0x10, "Evil\"\u001b[2J\n\u202E", 24), LeakExt.Core.Retention.BackrefNodeKind.Object, ["static X.s_\u0007"], 0, true);
        var result = new LeakExt.Commands.BackrefsResult("backrefs", node.Object!, null, null, null, 0, 0, [node], [], [], null, null);
        string dot = DotRenderer.Render(result).Text;
        Assert.Contains("tooltip=\"Evil\\\"\\\\e[2J\\\\n\\\\u202E 0x10\"", dot);
        Assert.Contains("label=\"static X.s_\\\\a\"", dot);
        Assert.DoesNotContain('\u001b', dot);
        Assert.DoesNotContain('\u202E', dot);
    }
}
