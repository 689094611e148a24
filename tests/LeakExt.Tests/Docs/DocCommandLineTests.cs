using System.Diagnostics;
using System.Text.RegularExpressions;
using LeakExt.Commands.Framework;
using LeakExt.Core.Capture;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Docs;

/// <summary>
/// Every command line in README.md and docs/*.md runs as shown. The convention (README, "How it is built"):
/// each fenced code block is a script run top to bottom in a fresh folder, so a line may use what an
/// earlier one wrote; `leakext …` lines run the built leakext there (a '# comment' is dropped, '&amp;&amp;'
/// chains), and must exit 0 without an error line; 4242 and 12345 stand for a live .NET process (the
/// demo's crawler, started for the block); a block preceded by &lt;!-- doc-test: files A B --&gt; gets the
/// demo's checkpoint dumps under those names; `leakext&gt; …` lines run in one session holding the demo's
/// snapshots checkpoint-1…3; `./build.sh VERB` lines must name a verb build.sh has (they are not run:
/// this test runs inside ./build.sh test).
/// </summary>
[Collection("dumps")]
public sealed class DocCommandLineTests(DumpFixture fixture)
{
    private static readonly string[] StandInPids = ["4242", "12345"];

    private sealed record Block(string File, int Line, IReadOnlyList<(int Line, string Text)> Commands, IReadOnlyList<string> Files);

    public static TheoryData<string> Documents() =>
        new(new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md").Order()
            .Select(f => Path.GetRelativePath(Repository.Root, f))));

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_command_line_runs_as_shown(string document)
    {
        var failures = new List<string>();
        foreach (Block block in Blocks(document))
        {
            string folder = fixture.TempFile($"doc-{Path.GetFileNameWithoutExtension(document)}-{block.Line}");
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
            for (int i = 0; i < block.Files.Count; i++)
                File.Copy(dumps[Math.Min(i, dumps.Count - 1)], Path.Combine(folder, block.Files[i]));
            bool live = block.Commands.Any(c => Words(c.Text).Any(StandInPids.Contains));
            if (live)
                new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Crawler"), "1"], NotAChild = true }
                    .Run((pid, _, _) => RunBlock(block, folder, pid.ToString(), failures));
            else
                RunBlock(block, folder, null, failures);
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private void RunBlock(Block block, string folder, string? pid, List<string> failures)
    {
        string[] buildVerbs = Regex.Matches(File.ReadAllText(Path.Combine(Repository.Root, "build.sh")), @"^  ([a-z]+)\)$", RegexOptions.Multiline, TimeSpan.FromSeconds(1))
            .Select(m => m.Groups[1].Value).ToArray();
        var sessionCommands = new List<(int Line, string Text)>();
        foreach ((int line, string text) in block.Commands)
        {
            string where = $"{block.File}:{line}: {text}";
            if (text.StartsWith("leakext>", StringComparison.Ordinal))
            {
                sessionCommands.Add((line, text["leakext>".Length..].Trim()));
                continue;
            }
            if (text.StartsWith("./build.sh", StringComparison.Ordinal))
            {
                string[] words = Words(text);
                if (words.Length < 2 || !buildVerbs.Contains(words[1]))
                    failures.Add($"{where}\n  build.sh has no verb '{(words.Length > 1 ? words[1] : "")}' ({string.Join(", ", buildVerbs)})");
                continue;
            }
            foreach (string part in text.Split("&&", StringSplitOptions.TrimEntries))
            {
                // A stand-in PID is a word of its own (core.12345 is a file name).
                string[] words = Words(part).Select(w => pid is not null && StandInPids.Contains(w) ? pid : w).ToArray();
                (int code, string errors) = RunLeakext(folder, words[1..]);
                if (code != 0 || errors.Contains("error:", StringComparison.Ordinal))
                    failures.Add($"{where}\n  exit code {code}: {errors.Trim()}");
            }
        }
        if (sessionCommands.Count > 0)
            RunInDemoSession(block, sessionCommands, failures);
    }

    /// <summary>The demo's session: the last checkpoint's dump, and snapshots checkpoint-1…3 of the three.</summary>
    private void RunInDemoSession(Block block, List<(int Line, string Text)> commands, List<string> failures)
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        var arguments = new List<string> { "analyze", dumps[^1] };
        for (int i = 0; i < dumps.Count; i++)
        {
            string file = fixture.TempFile($"doc-checkpoint-{i + 1}.leaksnap");
            if (!File.Exists(file))
                SnapshotFile.Write(Sessions.Snapshot(dumps[i], name: $"checkpoint-{i + 1}"), file);
            arguments.AddRange(["-c", $"snapshots -load {file}"]);
        }
        foreach ((int line, string text) in commands)
        {
            CliResult result = CliRunner.Run([.. arguments, "-c", text]);
            if (result.ExitCode != 0 || result.Errors.Length > 0)
                failures.Add($"{block.File}:{line}: leakext> {text}\n  exit code {result.ExitCode}: {result.Errors.Trim()}");
        }
    }

    private static (int Code, string Errors) RunLeakext(string folder, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "leakext.dll"));
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        try
        {
            (int code, _, string errors) = ChildProcess.Run(start, TimeSpan.FromMinutes(3));
            return (code, errors);
        }
        catch (TimeoutException timeout)
        {
            return (-1, timeout.Message);
        }
    }

    /// <summary>The fenced blocks of a document that hold leakext or build.sh lines, with the files their marker asks for.</summary>
    private static IEnumerable<Block> Blocks(string document)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Repository.Root, document));
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
                continue;
            int start = i;
            Match marker = Regex.Match(i > 0 ? lines[i - 1] : "", @"^<!-- doc-test: files (.+) -->$", RegexOptions.None, TimeSpan.FromSeconds(1));
            var commands = new List<(int, string)>();
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
            {
                string text = WithoutComment(lines[i]).Trim();
                if (text.StartsWith("leakext", StringComparison.Ordinal) || text.StartsWith("./build.sh", StringComparison.Ordinal))
                    commands.Add((i + 1, text));
            }
            if (commands.Count > 0)
                yield return new Block(document, start + 1, commands, marker.Success ? marker.Groups[1].Value.Split(' ') : []);
        }
    }

    /// <summary>The line without a shell comment: a '#' after a space, outside quotes.</summary>
    private static string WithoutComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote == '\0' && c is '"' or '\'')
                quote = c;
            else if (c == quote)
                quote = '\0';
            else if (quote == '\0' && c == '#' && i > 0 && line[i - 1] == ' ')
                return line[..i];
        }
        return line;
    }

    /// <summary>Words as a POSIX shell splits them here: spaces separate, single and double quotes group.</summary>
    private static string[] Words(string text) => CommandLineSplitter.Split(text).ToArray();
}
