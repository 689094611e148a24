using System.Diagnostics;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

/// <summary>Options spelled either way, and the mistakes a new user makes: each one line that says what to do.</summary>
[Collection("dumps")]
public sealed class CommandLineMistakeTests(DumpFixture fixture)
{
    private static void AssertOneLine(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ErrorLines.Length == 1, "expected one error line, got:\n" + result.Errors);
        Assert.Equal("error: " + expected, result.ErrorLines[0]);
        Assert.Equal(exitCode, result.ExitCode);
    }

    [Theory]
    [InlineData("snapshto", "snapshot")]
    [InlineData("snapdif", "snapdiff")]
    [InlineData("SNAPSHOTS", "snapshots")]
    [InlineData("rootpaht", "rootpath")]
    [InlineData("domin", "dominators")]
    [InlineData("xyzzy", null)]
    [InlineData("top", null)]
    public void Closest_command_names(string typed, string? expected) =>
        Assert.Equal(expected, Suggestions.Closest(typed, CommandTable.All.Select(c => c.Name)));

    [Theory]
    [InlineData("snapshto", "unknown command 'snapshto' (did you mean 'snapshot'?); run 'help' to list the commands.")]
    [InlineData("snapdif", "unknown command 'snapdif' (did you mean 'snapdiff'?); run 'help' to list the commands.")]
    [InlineData("backrefs 0x10 -depht 3", "backrefs: unknown option '-depht' (did you mean '-depth'?); run 'backrefs -h' for usage.")]
    [InlineData("snapdiff --tpye Foo", "snapdiff: unknown option '--tpye' (did you mean '-type'?); run 'snapdiff -h' for usage.")]
    [InlineData("help snapshto", "help: unknown command 'snapshto' (did you mean 'snapshot'?); run 'help' to list the commands.")]
    [InlineData("dumpheap -stat", "'dumpheap' is an SOS command; use 'snapshot': live objects per type and generation (as 'dumpheap -stat -live').")]
    [InlineData("!dumpheap -type Foo", "'dumpheap' is an SOS command; here 'snapdiff -type PATTERN' counts a type's live objects, 'backrefs -type T' shows who holds them and 'retained -type T' what they keep alive.")]
    [InlineData("gcroot 0x10", "'gcroot' is an SOS command; use 'rootpath ADDR' (the shortest path from a root) or 'backrefs ADDR' (all referrers).")]
    [InlineData("gcwhere 0x10", "'gcwhere' is an SOS command; use 'snapshot' for the heap per generation and GC memory, 'fragmentation' for segments and free space.")]
    [InlineData("eeheap -gc", "'eeheap' is an SOS command; use 'snapshot' for the heap per generation and GC memory, 'fragmentation' for segments and free space.")]
    [InlineData("objsize 0x10", "'objsize' is an SOS command; use 'retained ADDR' or 'retained -type T': what releasing it gives back (exact, through the dominator tree).")]
    public void Mistakes_inside_a_session(string command, string expected) =>
        AssertOneLine(CliRunner.Run("-c", command), 1, expected);

    [Fact]
    public void Mistakes_on_the_hosts_command_line()
    {
        AssertOneLine(CliRunner.Run("snapshot"), 2,
            "'snapshot' runs inside a session: 'leakext analyze DUMP' or 'leakext attach PID' and type it at the prompt, " +
            "or 'leakext analyze DUMP -c \"snapshot\"' (snapshot files need no target: 'leakext -c \"snapdiff a.leaksnap b.leaksnap\"').");
        AssertOneLine(CliRunner.Run("dumpheap", "-stat"), 2,
            "'dumpheap' is an SOS command; use 'snapshot': live objects per type and generation (as 'dumpheap -stat -live'). " +
            "LeakExt's commands run inside 'leakext analyze DUMP' or 'leakext attach PID'.");
        AssertOneLine(CliRunner.Run("analyze", "x.dmp", "-c", "snapshot", "-name", "before"), 2,
            "-c takes one command line: quote it, as in -c \"snapshot -name before\".");
        AssertOneLine(CliRunner.Run("-c", "snapdiff", "a.leaksnap", "b.leaksnap"), 2,
            "-c takes one command line: quote it, as in -c \"snapdiff a.leaksnap b.leaksnap\".");
        AssertOneLine(CliRunner.Run("analyz", "x.dmp"), 2, "unknown command 'analyz' (did you mean 'analyze'?); run 'leakext --help'.");
        AssertOneLine(CliRunner.Run("record", "1", "--out", "x", "--evrey", "5s"), 2,
            "unknown option '--evrey' for 'leakext record' (did you mean '--every'?); run 'leakext record --help'.");
        // An unknown option where an argument is due is named as the option, not looked for as a file or process.
        AssertOneLine(CliRunner.Run("analyze", "--bogus"), 2, "unknown option '--bogus' for 'leakext analyze'; run 'leakext analyze --help'.");
        AssertOneLine(CliRunner.Run("analyze", "--comand", "snapshot", "x.dmp"), 2,
            "unknown option '--comand' for 'leakext analyze' (did you mean '--command'?); run 'leakext analyze --help'.");
        AssertOneLine(CliRunner.Run("attach", "-symbolpath", "x", "1"), 2,
            "unknown option '-symbolpath' for 'leakext attach' (did you mean '--symbol-path'?); run 'leakext attach --help'.");
    }

    [Fact]
    public void Options_take_one_dash_or_two_in_the_hosts_own_commands()
    {
        string folder = fixture.TempFile("series-dashes");
        Directory.CreateDirectory(folder);
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        for (int i = 0; i < dumps.Count; i++)
            SnapshotFile.Write(Sessions.Snapshot(dumps[i]), Path.Combine(folder, $"s{i + 1}.leaksnap"));
        foreach (string dashes in new[] { "-", "--" })
        {
            string html = fixture.TempFile($"growth-{dashes.Length}-dashes.html");
            File.Delete(html);
            CliResult result = CliRunner.Run("heapgrowth", folder, dashes + "html", html, dashes + "top", "2");
            Assert.True(result.ExitCode == 0, result.Errors);
            Assert.True(File.Exists(html), $"{dashes}html wrote nothing");
            Assert.DoesNotContain("Usage:", result.Out);
        }
        CliResult json = CliRunner.Run("heapgrowth", folder, "-json", "-top", "1");
        Assert.Equal(0, json.ExitCode);
        Sessions.Json(json.Out);
    }

    [Fact]
    public void Names_with_spaces_in_single_or_double_quotes()
    {
        CliResult result = CliRunner.Run("analyze", fixture.Dumps("Crawler")[0], "-c", "snapshot -name 'two words' -top 0",
            "-c", "snapshot -name \"three more words\" -top 0", "-c", "snapdiff 'two words' \"three more words\" -top 1");
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Contains("Snapshot #1 (two words)", result.Out);
        Assert.Contains("Snapshot #2 (three more words)", result.Out);
    }

    [Fact]
    public void Help_lists_the_commands_that_run_inside_a_session()
    {
        CliResult help = CliRunner.Run("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Commands inside a session", help.Out);
        foreach (CommandDefinition command in CommandTable.All)
            Assert.Contains($"  {command.Name} ", help.Out);
        Assert.Contains("  ps ", help.Out);
    }

    [Fact]
    public void Ps_lists_dotnet_processes_and_attach_takes_a_name()
    {
        CliResult ps = CliRunner.Run("ps");
        Assert.Equal(0, ps.ExitCode);
        string ours = ps.Out.Split('\n').Single(line => line.TrimStart().StartsWith(Environment.ProcessId + " ", StringComparison.Ordinal));
        Assert.Contains(Process.GetCurrentProcess().ProcessName, ours);

        AssertOneLine(CliRunner.Run("attach", "no-such-process-name", "-c", "snapshot"), 1,
            "no .NET process named 'no-such-process-name'; 'leakext ps' lists the .NET processes you can attach to.");
    }

    [Fact]
    public void Dump_of_a_process_that_is_not_dotnet()
    {
        using Process sleeper = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            string file = fixture.TempFile("sleep.dmp");
            AssertOneLine(CliRunner.Run("dump", sleeper.Id.ToString(), file), 1,
                $"process {sleeper.Id} (sleep) is not a .NET process (it publishes no diagnostics endpoint); 'leakext ps' lists the .NET processes you can attach to.");
            Assert.False(File.Exists(file));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void A_gcdump_is_recognised_and_told_what_LeakExt_reads()
    {
        // dotnet-gcdump writes a FastSerialization stream: a length-prefixed "!FastSerialization.1" first.
        string gcdump = fixture.TempFile("app.gcdump");
        File.WriteAllBytes(gcdump, [20, 0, 0, 0, .. "!FastSerialization.1"u8, 5, 0, 0, 0]);
        string renamed = fixture.TempFile("app-gcdump.bin");
        File.Copy(gcdump, renamed, overwrite: true);
        foreach (string path in new[] { gcdump, renamed })
            AssertOneLine(CliRunner.Run("analyze", path, "-c", "snapshot"), 1,
                $"'{path}' is a dotnet-gcdump heap graph (.gcdump), not a dump; LeakExt reads process dumps (ELF core, Windows minidump, Mach-O core): " +
                "write one with 'leakext dump PID FILE' or 'dotnet-dump collect --type Heap'.");
    }
}
