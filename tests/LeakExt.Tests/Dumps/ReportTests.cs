using System.Globalization;
using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// What LeakExt draws, on real dumps: the backrefs picture of the Crawler's first checkpoint (100 pages,
/// 20 links each, in s_seen), -type saying what it matched, and the heapgrowth report as headless
/// Chromium builds it from the Growth target's leak series.
/// </summary>
[Collection("dumps")]
public sealed class ReportTests(DumpFixture fixture)
{
    private static readonly Regex Addresses = new("0x[0-9a-f]+", RegexOptions.None, TimeSpan.FromSeconds(1));

    private (string Out, string Errors, CommandDispatcher.Outcome Outcome) Crawler(params string[] commands)
    {
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("Crawler")[0])));
        return Sessions.Run(new LeakSession(target), commands);
    }

    [Fact]
    public void Backrefs_draws_short_names_sizes_one_root_node_and_a_caption_and_says_what_it_wrote()
    {
        string dot = fixture.TempFile($"hyperlink-{Guid.NewGuid():n}.dot");
        (string text, string errors, var outcome) = Crawler($"backrefs -type Hyperlink -dot {dot}");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("-type 'Hyperlink' matched 1 type: Crawler.Hyperlink", lines[0]);
        Assert.Equal("2,000 live instances; 2,000 share the holder of this representative:", lines[1]);
        Assert.Equal($"wrote {dot} (4 nodes)", lines[^1]);

        // The target's graph: a Hyperlink in one page's List<Hyperlink> (20 links), in the Dictionary of 100 pages
        // that the static s_seen holds, drawn once (not again through the runtime's statics array).
        string expected = """
            digraph backrefs {
              rankdir=BT;
              labelloc=t; fontname="Helvetica"; fontsize=11; label="2,000 of 2,000 Hyperlink instances share this holder\nstatic Crawler.WebCrawler.s_seen › Dictionary<Page, List<Hyperlink>> values › List<Hyperlink> items";
              node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];
              edge [fontname="Helvetica", fontsize=9];
              n0 [label="Hyperlink\n32 B", tooltip="Crawler.Hyperlink 0xA", fillcolor="#f4b6b6"];
              n1 [label="List<Hyperlink>\n20 items\n32 B", tooltip="System.Collections.Generic.List<Crawler.Hyperlink> 0xA", fillcolor="#eaeaea"];
              n2 [label="Dictionary<Page, List<Hyperlink>>\n100 items\n80 B", tooltip="System.Collections.Generic.Dictionary<Crawler.Page, System.Collections.Generic.List<Crawler.Hyperlink>> 0xA", fillcolor="#fcfcfc"];
              r0 [label="static Crawler.WebCrawler.s_seen", shape=box, style=filled, fillcolor="#b6d4f4"];
              r0 -> n2 [style=bold];
              n1 -> n0 [label="List<Hyperlink> items"];
              n2 -> n1 [label="Dictionary<Page, List<Hyperlink>> values"];
            }

            """;
        string actual = Addresses.Replace(File.ReadAllText(dot), "0xA");
        Assert.True(expected == actual, "the DOT differs (- expected, + actual):\n" + Golden.Diff(expected, actual));
    }

    [Fact]
    public void Type_chooses_the_exact_type_then_the_short_name_then_only_an_explicit_glob_and_says_which()
    {
        (string text, string errors, var outcome) = Crawler("retained -type List<Hyperlink> -json", "retained -type *Hyperlink* -json");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, errors);
        string[] documents = text.Split("\n}\n", StringSplitOptions.RemoveEmptyEntries).Select(d => d + "\n}").ToArray();
        var list = Sessions.Json(documents[0]);
        Assert.Equal(["System.Collections.Generic.List<Crawler.Hyperlink>"], list.GetProperty("matchedTypes").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(100, list.GetProperty("objectCount").GetInt32());
        var glob = Sessions.Json(documents[1]);
        string[] matched = glob.GetProperty("matchedTypes").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Contains("Crawler.Hyperlink", matched);
        Assert.Contains("Crawler.Hyperlink[]", matched);
        Assert.Contains("System.Collections.Generic.List<Crawler.Hyperlink>", matched);
        Assert.All(matched, t => Assert.Contains("Hyperlink", t));

        (string wrong, string why, var failed) = Crawler("retained -type Hyperlnk");
        Assert.Equal(CommandDispatcher.Outcome.Failed, failed);
        Assert.Equal("", wrong);
        Assert.Equal("retained: no type is named 'Hyperlnk' (full or short name); for a pattern write '*Hyperlnk*'.", why.TrimEnd('\n'));
    }

    [ChromiumFact]
    public void The_heapgrowth_report_in_Chromium_has_time_axes_round_ticks_a_coloured_verdict_links_and_provenance()
    {
        string folder = fixture.TempFile($"report-{Guid.NewGuid():n}");
        Directory.CreateDirectory(folder);
        // Stamped at uneven real times, as a recording under load would be (dumps a second apart tell no pace).
        int[] minutes = [0, 1, 3, 4, 7, 8];
        var times = new List<DateTimeOffset>();
        int phase = 0;
        foreach (string dump in fixture.Dumps("Growth", false, "leak"))
        {
            Snapshot taken = Sessions.Snapshot(dump, name: $"leak-{++phase}");
            Snapshot snapshot = taken with { Info = taken.Info with { TakenAt = SyntheticSnapshots.Noon.AddMinutes(minutes[phase - 1]) } };
            times.Add(snapshot.Info.TakenAt);
            SnapshotFile.Write(snapshot, Path.Combine(folder, $"leak-{phase}.leaksnap"));
        }
        string html = Path.Combine(folder, "report.html");
        CliResult result = CliRunner.Run("heapgrowth", folder, "--html", html);
        Assert.True(result.ExitCode == 0, result.Errors);
        string dom = Chromium.DumpDom(html);

        Assert.Contains("<section id=\"verdict\" class=\"verdict verdict-leak\">", dom);
        Assert.Matches(@"<p class=""rate"">[^<]+: \+[\d.]+ (B|KiB|MiB|GiB|TiB) per minute", dom);
        Assert.Contains("<dd id=\"source\">6 dumps", dom);
        Assert.Matches(@"<dd id=""runtime"">\.NET \d+\.\d+\.\d+", dom);
        Assert.Contains("<dd id=\"leakext\">LeakExt 0.1.0", dom);

        // Axes: titles with units, ticks that are round numbers of the unit.
        Assert.Matches(@"class=""axis-title x-title""[^>]*>time since the first snapshot \((s|min|h)\)<", dom);
        Assert.Contains(">live bytes (MiB)</text>", dom);
        Match chart = Regex.Match(dom, @"<figure class=""chart-box"" id=""chart-1"">.*?</figure>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        double[] yTicks = Regex.Matches(chart.Value, @"class=""tick y-tick""[^>]*>([\d.]+) [KMG]?i?B<", RegexOptions.None, TimeSpan.FromSeconds(1))
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(yTicks.Length >= 3, chart.Value);
        Assert.Equal(0, yTicks[0]);
        double step = yTicks[1] - yTicks[0];
        Assert.Contains(Math.Round(step / Math.Pow(10, Math.Floor(Math.Log10(step))), 6), new[] { 1.0, 2.0, 5.0 });
        Assert.All(yTicks.Zip(yTicks.Skip(1)), pair => Assert.Equal(step, pair.Second - pair.First, 6));

        // Points sit at the snapshots' real times (the dumps are not evenly spaced): x is proportional to time.
        double[] xs = Regex.Matches(chart.Value, @"<circle cx=""([\d.]+)""", RegexOptions.None, TimeSpan.FromSeconds(1))
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Take(times.Count).ToArray();
        double span = (times[^1] - times[0]).TotalSeconds;
        for (int i = 1; i < times.Count; i++)
            Assert.InRange((xs[i] - xs[0]) / (xs[^1] - xs[0]), (times[i] - times[0]).TotalSeconds / span - 0.01, (times[i] - times[0]).TotalSeconds / span + 0.01);

        // The leaking type links to its holder and back, and both say what to run next.
        Match typeRow = Regex.Match(dom, @"<tr id=""type-(\d+)"">((?!</tr>).)*?title=""Growth\.LeakedOrder"".*?</tr>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        Assert.True(typeRow.Success, "no row for Growth.LeakedOrder");
        Assert.Contains("<code class=\"next\">backrefs -type Growth.LeakedOrder</code>", typeRow.Value);
        string holder = Regex.Match(typeRow.Value, @"class=""to-holder"" href=""#(holder-\d+)""", RegexOptions.None, TimeSpan.FromSeconds(1)).Groups[1].Value;
        Match holderRow = Regex.Match(dom, $@"<tr id=""{holder}"">.*?</tr>", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        Assert.Contains($"<a class=\"to-type\" href=\"#type-{typeRow.Groups[1].Value}\">LeakedOrder</a>", holderRow.Value);
        Assert.Contains("static Growth.Scenarios.s_orders › List&lt;LeakedOrder&gt; items", holderRow.Value);
        Assert.Matches(@"<code class=""next""[^>]*>rootpath 0x[0-9a-f]+</code>", holderRow.Value);
    }
}
