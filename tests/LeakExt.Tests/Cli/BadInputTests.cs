using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

/// <summary>Every user mistake: one line on stderr that starts with "error:", a non-zero exit code, and no stack trace.</summary>
[Collection("dumps")]
public sealed class BadInputTests(DumpFixture fixture)
{
    private static void AssertOneLineError(CliResult result, string expectedFragment)
    {
        Assert.NotEqual(0, result.ExitCode);
        string[] lines = result.ErrorLines;
        Assert.True(lines.Length == 1, "expected one error line, got:\n" + result.Errors);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0]);
        Assert.DoesNotContain("   at ", result.Errors);
        Assert.DoesNotContain("Exception", result.Errors);
    }

    [Fact]
    public void Missing_dump() =>
        AssertOneLineError(CliRunner.Run("analyze", "/nonexistent/crash.dmp", "-c", "snapshot"), "not found");

    [Fact]
    public void Empty_dump()
    {
        string path = fixture.TempFile("empty.dmp");
        File.WriteAllBytes(path, []);
        AssertOneLineError(CliRunner.Run("analyze", path, "-c", "snapshot"), "is empty");
    }

    [Fact]
    public void Not_a_dump()
    {
        string path = fixture.TempFile("notes.txt");
        File.WriteAllText(path, "these are my notes, not a dump\n");
        AssertOneLineError(CliRunner.Run("analyze", path, "-c", "snapshot"), "is not a dump");
    }

    [Fact]
    public void A_directory_instead_of_a_dump() =>
        AssertOneLineError(CliRunner.Run("analyze", fixture.RunDirectoryCreated(), "-c", "snapshot"), "is a directory");

    [Fact]
    public void Truncated_dump()
    {
        string source = fixture.Dumps("Crawler")[0];
        string path = fixture.TempFile("truncated.dmp");
        using (FileStream input = File.OpenRead(source))
        using (FileStream output = File.Create(path))
        {
            byte[] buffer = new byte[input.Length / 2];
            input.ReadExactly(buffer);
            output.Write(buffer);
        }
        AssertOneLineError(CliRunner.Run("analyze", path, "-c", "snapshot"), "is truncated");
    }

    [Fact]
    public void Dump_of_a_process_without_dotnet()
    {
        string path = fixture.TempFile("native.core");
        SyntheticCore.WriteNativeProcessCore(path);
        AssertOneLineError(CliRunner.Run("analyze", path, "-c", "snapshot"), "native.core");
    }

    [Fact]
    public void Corrupt_leaksnap_files()
    {
        string good = fixture.TempFile("good.leaksnap");
        SnapshotFile.Write(Sessions.Snapshot(fixture.Dumps("Crawler")[0]), good);
        byte[] bytes = File.ReadAllBytes(good);

        string flipped = fixture.TempFile("flipped.leaksnap");
        byte[] changed = (byte[])bytes.Clone();
        changed[^10] ^= 0x5A;
        File.WriteAllBytes(flipped, changed);
        AssertOneLineError(CliRunner.Run("-c", $"snapshots -load {flipped}"), "checksum");

        string truncated = fixture.TempFile("short.leaksnap");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        AssertOneLineError(CliRunner.Run("-c", $"snapshots -load {truncated}"), "is truncated");

        string foreign = fixture.TempFile("foreign.leaksnap");
        File.WriteAllText(foreign, "{\"not\": \"a snapshot\"}");
        AssertOneLineError(CliRunner.Run("-c", $"snapshots -load {foreign}"), "not a .leaksnap file");

        string empty = fixture.TempFile("empty.leaksnap");
        File.WriteAllBytes(empty, []);
        AssertOneLineError(CliRunner.Run("-c", $"snapdiff {empty} {good}"), "is empty");

        string newer = fixture.TempFile("newer.leaksnap");
        byte[] future = (byte[])bytes.Clone();
        future[8] = 99;
        File.WriteAllBytes(newer, future);
        AssertOneLineError(CliRunner.Run("-c", $"snapshots -load {newer}"), "format version 99");

        AssertOneLineError(CliRunner.Run("-c", "snapshots -load /nonexistent/x.leaksnap"), "not found");
    }

    [Theory]
    [InlineData("snapshot -top abc", "-top expects a whole number")]
    [InlineData("snapshot -frobnicate", "unknown option '-frobnicate'")]
    [InlineData("snapshot -name", "-name needs a value")]
    [InlineData("snapshot -reader turbo", "-reader must be one of fast, clrmd")]
    [InlineData("snapdiff -sort size", "-sort must be one of bytes, count")]
    [InlineData("snapdiff a b c", "at most two snapshots")]
    [InlineData("snapdiff", "no snapshots yet")]
    [InlineData("snapdiff #4 #5", "no snapshot #4")]
    [InlineData("frobnicate", "unknown command 'frobnicate'")]
    [InlineData("snapshot", "needs a target")]
    [InlineData("snapshot -name \"unterminated", "unterminated quote")]
    [InlineData("backrefs", "give an object address or -type T")]
    [InlineData("backrefs 0x1000 -type Foo", "not both")]
    [InlineData("rootpath xyz", "'xyz' is not an address")]
    [InlineData("rootpath", "give one object address")]
    [InlineData("retained 0x10 0x20", "expected one address")]
    [InlineData("dominators -top 0", "-top expects a whole number ≥ 1")]
    [InlineData("backrefs 0x1000 -depth -3", "-depth expects a whole number ≥ 1")]
    [InlineData("snapdiff -by size", "-by must be one of type, holder")]
    public void Bad_command_arguments(string command, string expected) =>
        AssertOneLineError(CliRunner.Run("-c", command), expected);

    [Fact]
    public void Bad_command_line_of_the_host()
    {
        CliResult noTarget = CliRunner.Run();
        Assert.Equal(2, noTarget.ExitCode);
        Assert.StartsWith("error: ", noTarget.Errors);

        CliResult badPid = CliRunner.Run("attach", "not-a-pid");
        Assert.NotEqual(0, badPid.ExitCode);
        Assert.DoesNotContain("   at ", badPid.Errors);

        AssertOneLineError(CliRunner.Run("attach", "2147483000", "-c", "snapshot"), "2147483000");
    }

    [Fact]
    public void Json_errors_are_a_json_document_on_stdout()
    {
        CliResult result = CliRunner.Run("-c", "snapdiff -json");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("snapdiff: no snapshots yet; take one with 'snapshot' (or load files with 'snapshots -load FILE').",
            Sessions.Json(result.Out).GetProperty("error").GetString());
    }
}

internal static class FixtureExtensions
{
    public static string RunDirectoryCreated(this DumpFixture fixture)
    {
        string path = fixture.TempFile("a-directory");
        Directory.CreateDirectory(path);
        return path;
    }
}
