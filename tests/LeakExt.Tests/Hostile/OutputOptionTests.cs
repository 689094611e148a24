using LeakExt.Core.Capture;
using LeakExt.Core.Files;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// Every option that writes a file, against what an attacker plants at its name: FIFOs, links to a
/// victim, devices, folders, files that exist. Each is one line and exit code 1, the victim and the
/// planted thing stay as they were, and no temporary file is left.
/// </summary>
[Collection("dumps")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OutputOptionTests(DumpFixture fixture) : IDisposable
{
    private readonly Planted _planted = new();

    public void Dispose() => _planted.Dispose();

    private string Dump => fixture.Dumps("Crawler")[0];

    /// <summary>Runs one output option with {0} replaced by the target path.</summary>
    private CliResult Write(string option, string target)
    {
        switch (option)
        {
            case "dump":
                // Refused before the process is asked: no such process is needed.
                return CliRunner.Run("dump", "2147483000", target);
            case "heapgrowth --html":
                return CliRunner.Run("heapgrowth", Saved("a"), Saved("b"), "--html", target);
            case "heapgrowth -html":
                return CliRunner.Run("-c", $"heapgrowth {Saved("a")} {Saved("b")} -html {target}");
            default:
                return CliRunner.Run("analyze", Dump, "-c", string.Format(option, target));
        }
    }

    private string Saved(string name)
    {
        string path = fixture.TempFile($"output-options-{name}.leaksnap");
        if (!File.Exists(path))
            SnapshotFile.Write(Sessions.Snapshot(Dump, name: name), path);
        return path;
    }

    public static readonly TheoryData<string, string> Cases = Combine(
        ["snapshot -save {0}", "backrefs -type Crawler.Page -depth 1 -dot {0}", "backrefs -type Crawler.Page -depth 1 -svg {0}", "heapgrowth -html", "heapgrowth --html", "dump"],
        ["fifo", "socket", "link", "dangling link", "device", "folder", "existing file", "missing folder"]);

    private static TheoryData<string, string> Combine(string[] options, string[] plants)
    {
        var data = new TheoryData<string, string>();
        foreach (string option in options)
            foreach (string plant in plants)
                data.Add(option, plant);
        return data;
    }

    [LinuxTheory]
    [MemberData(nameof(Cases))]
    public void A_planted_target_is_refused_in_one_line_and_left_as_it_was(string option, string plant)
    {
        (string target, string expected) = plant switch
        {
            "fifo" => (_planted.Fifo("out"), "is a FIFO (named pipe), not a regular file; LeakExt writes only regular files."),
            "socket" => (_planted.Socket("out"), "is a socket, not a regular file; LeakExt writes only regular files."),
            "link" => (_planted.LinkToVictim("out"), "is a symbolic link; LeakExt neither writes through nor replaces links: name the file itself."),
            "dangling link" => (_planted.DanglingLink("out"), "is a symbolic link; LeakExt neither writes through nor replaces links: name the file itself."),
            "device" => ("/dev/full", "'/dev/full' is a character device, not a regular file; LeakExt writes only regular files."),
            "folder" => (Directory.CreateDirectory(_planted.PathOf("out")).FullName, "is a folder; give a file name."),
            // heapgrowth --html runs the session's heapgrowth, whose -force the standalone host accepts too.
            "existing file" => (_planted.Victim, option == "dump" ? "already exists; pass --force to replace it." : "already exists; pass -force to replace it."),
            _ => (_planted.PathOf("missing/out"), $"the folder '{_planted.PathOf("missing")}' does not exist; create it first or write elsewhere."),
        };
        string[] before = _planted.Names();
        FileKind kind = FileProbe.Inspect(target).Kind;

        CliResult result = Write(option, target);

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.EndsWith(expected, line);
        Assert.DoesNotContain("   at ", result.Errors);
        _planted.AssertVictimUntouched();
        Assert.Equal(before, _planted.Names());
        Assert.Equal(kind, FileProbe.Inspect(target).Kind);
    }

    [LinuxFact]
    public void With_force_an_existing_file_is_replaced_and_nothing_else_is_left()
    {
        string snapshot = _planted.PathOf("s.leaksnap");
        File.WriteAllText(snapshot, "old\n");
        Assert.Equal(0, CliRunner.Run("analyze", Dump, "-c", $"snapshot -save {snapshot} -force").ExitCode);
        Assert.Equal(2000, SnapshotFile.Read(snapshot).Types.Single(t => t.Type == "Crawler.Hyperlink").Count);

        string html = _planted.PathOf("growth.html");
        File.WriteAllText(html, "old\n");
        Assert.Equal(0, CliRunner.Run("heapgrowth", Saved("a"), Saved("b"), "--html", html, "--force").ExitCode);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(html));
        Assert.Equal(["growth.html", "s.leaksnap", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void Svg_comes_through_our_pipe_graphviz_never_opens_the_target()
    {
        // A stand-in for Graphviz's dot that records its arguments and answers on stdout.
        string fakeDot = _planted.PathOf("fake-dot");
        File.WriteAllText(fakeDot, $"#!/bin/sh\necho \"$@\" > {_planted.PathOf("dot-arguments")}\ncat > /dev/null\necho '<svg xmlns=\"http://www.w3.org/2000/svg\"/>'\n");
        File.SetUnixFileMode(fakeDot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? saved = Environment.GetEnvironmentVariable("LEAKEXT_DOT");
        try
        {
            Environment.SetEnvironmentVariable("LEAKEXT_DOT", fakeDot);
            string svg = _planted.PathOf("graph.svg");
            CliResult result = CliRunner.Run("analyze", Dump, "-c", $"backrefs -type Crawler.Page -depth 1 -svg {svg}");
            Assert.True(result.ExitCode == 0, result.Errors);
            Assert.Equal("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n", File.ReadAllText(svg));
            Assert.Equal("-Tsvg\n", File.ReadAllText(_planted.PathOf("dot-arguments")));
            Assert.Equal(["dot-arguments", "fake-dot", "graph.svg", "victim.txt"], _planted.Names());
        }
        finally
        {
            Environment.SetEnvironmentVariable("LEAKEXT_DOT", saved);
        }
    }

    [LinuxFact]
    public void Record_writes_only_into_a_folder_whose_parent_exists()
    {
        string fifo = _planted.Fifo("series");
        CliResult intoFifo = CliRunner.Run("record", "2147483000", "--count", "1", "--out", fifo);
        Assert.Equal([$"error: --out: '{fifo}' is not a folder; name a folder for the .leaksnap files."], intoFifo.ErrorLines);
        CliResult intoNowhere = CliRunner.Run("record", "2147483000", "--count", "1", "--out", _planted.PathOf("no/series"));
        Assert.Equal([$"error: --out: the folder '{_planted.PathOf("no")}' does not exist; create it first or record elsewhere."], intoNowhere.ErrorLines);
        Assert.Equal(FileKind.Fifo, FileProbe.Inspect(fifo).Kind);
        Assert.Equal(["series", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void A_dump_replaces_a_file_only_with_force_and_is_readable_by_its_owner_only()
    {
        string existing = _planted.PathOf("live.dmp");
        File.WriteAllText(existing, "old\n");
        CliResult? refused = null, forced = null;
        new CheckpointRunner { FileName = "dotnet", Arguments = [Repository.TargetProgram("Churn")] }.Run((pid, _, _) =>
        {
            refused = CliRunner.Run("dump", pid.ToString(), existing);
            forced = CliRunner.Run("dump", pid.ToString(), existing, "--force");
        });
        Assert.Equal([$"error: '{existing}' already exists; pass --force to replace it."], refused!.ErrorLines);
        Assert.True(forced!.ExitCode == 0, forced.Errors);
        Assert.Equal($"Wrote {existing}\n", forced.Out);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(existing));
        Assert.Equal(1000, Sessions.Snapshot(existing).Live("Churn.Keeper"));
        Assert.Equal(["live.dmp", "victim.txt"], _planted.Names());
    }
}
