using System.Text.Json;
using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Retention;
using LeakExt.Core.Targets;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Hosts;
using LeakExt.Tests.Infrastructure;
using HostileNames;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// The HostileNames target (tests/TestTargets/HostileNames): types and a field named with escapes, CR,
/// bidi marks, '|', '*' and 1,000 characters, and a chain 100,000 deep. Text shows every name escaped,
/// JSON carries it as it is, the pathological pattern answers at once, deep output is flat and stops at Ctrl-C.
/// </summary>
[Collection("dumps")]
public sealed class HostileNamesDumpTests(DumpFixture fixture)
{
    private string Dump => fixture.Dumps("HostileNames").Single();

    private static readonly string Field = Names.Field;
    private static readonly string LongName = Names.LongName;
    private static readonly (string Name, int Count)[] Types = Names.Types;

    /// <summary>No character a terminal acts on: only printable text and our own line breaks.</summary>
    private static void AssertTerminalSafe(string text)
    {
        foreach (char c in text)
        {
            bool control = (c < ' ' && c != '\n') || c is >= '\u007F' and <= '\u009F';
            bool bidi = c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
            Assert.False(control || bidi, $"U+{(int)c:X4} reached the terminal");
        }
    }

    private CliResult Cli(params string[] commands) =>
        CliRunner.Run(["analyze", Dump, .. commands.SelectMany(c => new[] { "-c", c })]);

    [Fact]
    public void Snapshot_text_shows_every_hostile_name_escaped_with_its_count()
    {
        CliResult result = Cli("snapshot -top 0");
        Assert.True(result.ExitCode == 0, result.Errors);
        AssertTerminalSafe(result.Out + result.Errors);
        string[] lines = result.Out.Split('\n');
        foreach ((string name, int count) in Types)
        {
            // Count, bytes (24 each: header, MethodTable, one field), gen0 count, then the name as the terminal shows it.
            string row = Regex.Escape($"{count}  ") + @"\s*" + Regex.Escape($"{count * 24}") + @"\s+" + Regex.Escape($"{count}") + @"\s+" + Regex.Escape(TerminalText.Escape(name)) + "$";
            Assert.Single(lines, line => Regex.IsMatch(line.TrimStart(), "^" + row));
        }
        Assert.Contains(@"Title\e]0;pwned\a", result.Out);
        Assert.Contains(@"Reversed\u202Etxt.exe", result.Out);
        Assert.Contains(@"Carriage\rOverwrite", result.Out);
        // The holder of each payload names the hostile owner and field, escaped.
        Assert.Contains(@"static HostileNames.Program.s_keep › List<Object> items › Title\e]0;pwned\a.next\e[31m\r\u202E", result.Out);
    }

    [Fact]
    public void Json_carries_the_names_as_they_are()
    {
        CliResult result = Cli("snapshot -json");
        Assert.True(result.ExitCode == 0, result.Errors);
        AssertTerminalSafe(result.Out);   // JSON escapes them itself (\u001B, \u202E)
        JsonElement types = Sessions.Json(result.Out).GetProperty("types");
        foreach ((string name, int count) in Types)
            Assert.Equal(count, types.EnumerateArray().Single(t => t.GetProperty("type").GetString() == name).GetProperty("count").GetInt64());
        Assert.Contains(Sessions.Json(result.Out).GetProperty("holders").EnumerateArray(),
            h => h.GetProperty("holder").GetString()!.EndsWith("Title\u001b]0;pwned\u0007." + Field, StringComparison.Ordinal));
    }

    [Fact]
    public void Backrefs_text_and_dot_show_the_field_escaped()
    {
        string dot = fixture.TempFile("hostile-backrefs.dot");
        // The representative payload is one of the seven under the 1,000-character type.
        CliResult result = Cli($"backrefs -type Hostile.Payload -depth 2 -dot {dot}");
        Assert.True(result.ExitCode == 0, result.Errors);
        AssertTerminalSafe(result.Out);
        Assert.Contains("28 live instances; 7 share the holder of this representative:", result.Out);
        Assert.Contains($"└─ next\\e[31m\\r\\u202E ← {LongName} 0x", result.Out);
        string graph = File.ReadAllText(dot);
        AssertTerminalSafe(graph);
        Assert.Contains(@"label=""next\\e[31m\\r\\u202E""", graph);
        Assert.Contains($"tooltip=\"{LongName} 0x", graph);
    }

    [Fact]
    public async Task The_pathological_pattern_answers_at_once_and_an_empty_one_is_an_error()
    {
        Task<CliResult> run = Task.Run(() => Cli("retained -type *L*L*L*Q9", "retained -type *L*L*L*X"));
        // Generous: it takes about a second here; as a backtracking regex it ran past 100 s.
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "the pattern hung");
        CliResult result = await run;
        Assert.Equal(1, result.ExitCode);
        // 7 instances of the 1,000-character type, each with its payload: 14 objects of 24 bytes.
        Assert.Contains($"-type '*L*L*L*Q9' matched 1 type: {LongName}\nRetained by all 7 live instances of {LongName}:\n  336 bytes (336 B, ", result.Out);
        Assert.Contains(" in 14 objects\n  shallow size: 168 bytes in 7 objects\n", result.Out);
        Assert.Equal(["error: retained: no type matches the pattern '*L*L*L*X'."], result.ErrorLines);

        CliResult empty = Cli("retained -type \"\"");
        Assert.Equal(1, empty.ExitCode);
        Assert.Equal(["error: retained: -type needs a pattern; an empty one would match every type (use '*' for that)."], empty.ErrorLines);
    }

    /// <summary>The deepest Link of the chain, found by following s_chain's Next fields with ClrMD.</summary>
    private ulong DeepestLink()
    {
        using DataTarget target = DataTarget.LoadDump(Dump, LeakTarget.CreateOptions(null));
        using ClrRuntime runtime = target.ClrVersions[0].CreateRuntime();
        ClrType program = runtime.EnumerateModules().Select(m => m.GetTypeByName("HostileNames.Program")).First(t => t is not null)!;
        ClrObject link = program.GetStaticFieldByName("s_chain")!.ReadObject(runtime.AppDomains[0]);
        int length = 1;
        for (ClrObject next = link.ReadObjectField("Next"); !next.IsNull; next = next.ReadObjectField("Next"))
        {
            link = next;
            length++;
        }
        Assert.Equal(Names.ChainLength, length);
        return link.Address;
    }

    [Fact]
    public void A_chain_100000_deep_prints_flat_and_whole()
    {
        string deepest = Address.Format(DeepestLink());
        CliResult result = Cli($"rootpath {deepest}", $"backrefs {deepest} -depth 100000 -max-nodes 100001");
        Assert.True(result.ExitCode == 0, result.Errors);
        string[] lines = result.Out.Split('\n');
        // The path: its first and last 50 objects, the 99,900 between them counted.
        Assert.Contains("Path 1 of 1: from static HostileNames.Program.s_chain, 100,000 objects", lines);
        Assert.Equal(RootPath.ShownHops - 1, lines.Count(l => l.StartsWith("  .Next → HostileNames.Link 0x", StringComparison.Ordinal)));
        Assert.Single(lines, "  … 99,900 more objects …");
        Assert.Single(lines, l => l.StartsWith($"  .Next → HostileNames.Link {deepest} ", StringComparison.Ordinal));
        // The referrer tree: every Link once, indentation stopped at depth 32 and the depth written out beyond.
        Assert.Equal(100_000 - 1, lines.Count(l => l.Contains("Next ← HostileNames.Link 0x", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.Contains("[depth 99999] └─ Next ← HostileNames.Link 0x", StringComparison.Ordinal));
        Assert.True(lines.Max(l => l.Length) < 200, "lines kept growing with depth");
    }

    [Fact]
    public void A_path_100000_deep_lists_its_ends_in_JSON_and_counts_the_rest()
    {
        string deepest = Address.Format(DeepestLink());
        CliResult result = Cli($"rootpath {deepest} -json");
        Assert.True(result.ExitCode == 0, result.Errors);
        JsonElement path = JsonDocument.Parse(result.Out).RootElement.GetProperty("paths")[0];
        JsonElement hops = path.GetProperty("hops");
        Assert.Equal(100_000, path.GetProperty("length").GetInt32());
        Assert.Equal((50, 99_900), (path.GetProperty("omitted").GetProperty("after").GetInt32(), path.GetProperty("omitted").GetProperty("hops").GetInt32()));
        Assert.Equal(RootPath.ShownHops, hops.GetArrayLength());
        // The first hop after the gap is named by the field of the omitted Link before it; the last is the deepest.
        Assert.Equal("Next", hops[50].GetProperty("field").GetString());
        Assert.Equal(deepest, hops[99].GetProperty("object").GetProperty("address").GetString());
    }

    /// <summary>Cancels the command (as Ctrl-C does) once it has written <paramref name="lines"/> lines.</summary>
    private sealed class CancelAfterLines(CancellationTokenSource cancel, int lines) : ICommandOutput
    {
        public int Written;
        public IProgress<WalkProgress>? Progress => null;
        public void Write(string text)
        {
            if (text.Contains('\n') && ++Written == lines)
                cancel.Cancel();
        }
        public void WriteLink(string text, string command) { }
        public void WriteError(string message) { }
    }

    [Fact]
    public void Long_output_stops_at_Ctrl_C()
    {
        string deepest = Address.Format(DeepestLink());
        using var target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(Dump)));
        var session = new LeakSession(target);
        using var cancel = new CancellationTokenSource();
        var output = new CancelAfterLines(cancel, 1000);
        CommandDispatcher.Outcome outcome = CommandDispatcher.Run($"backrefs {deepest} -depth 100000 -max-nodes 100001", new CommandContext { Session = session, Output = output, CancellationToken = cancel.Token });
        Assert.Equal(CommandDispatcher.Outcome.Cancelled, outcome);
        Assert.Equal(1000, output.Written);

        // The session goes on.
        (string text, _, CommandDispatcher.Outcome again) = Sessions.Run(session, "retained -type *L*L*L*Q9");
        Assert.Equal(CommandDispatcher.Outcome.Succeeded, again);
        Assert.Contains("all 7 live instances", text);
    }

    [DbgEngFact]
    public void The_WinDbg_extension_escapes_names_in_text_and_DML()
    {
        DbgEngExtension.Instance.Reload();
        using var engine = new FakeDebugEngine(Dump);
        foreach (bool dml in new[] { false, true })
        {
            engine.PreferDml = dml;
            Assert.Equal(0, DbgEngExtension.Instance.Run(engine, "snapshot", "-top 0"));
            (string normal, string errors, _) = engine.TakeOutput();
            AssertTerminalSafe(normal + errors);
            Assert.Contains(@"Hostile.Title\e]0;pwned\a", normal);
            Assert.Contains(@"Hostile.Reversed\u202Etxt.exe", normal);
            Assert.Contains(dml ? "List&lt;Object&gt; items › Title\\e]0;pwned\\a.next\\e[31m\\r\\u202E" : @"List<Object> items › Title\e]0;pwned\a.next\e[31m\r\u202E", normal);
        }
    }
}
