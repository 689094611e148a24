using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Cli;

/// <summary>A test that needs the native leakext (Linux x64 with clang or gcc, where the test project publishes it); elsewhere it reports itself skipped, with why.</summary>
public sealed class NativeCliFactAttribute() : FactUnlessAttribute(NativeCliTests.SkipReason);

/// <summary>
/// The standalone leakext compiled ahead of time (`./build.sh native`) answers exactly as the
/// JIT-compiled one does: the main job on the demo's dumps (snapshots loaded and taken, saved, diffed,
/// their growth with its HTML report, holders, retained sizes, dominators, fragmentation, JSON), the
/// files it writes, and a user's mistake. Nothing is compared but the times the output reports.
/// </summary>
[Collection("dumps")]
public sealed partial class NativeCliTests(DumpFixture fixture)
{
    private static string BinaryPath => Path.Combine(Repository.Root, "artifacts", "native", "linux-x64", "leakext");

    /// <summary>Why these tests are skipped here, or null: where the binary can be built it is built with the tests, so its absence there is a failure.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64 ? "the native leakext is built with the tests on Linux x64 only"
        : !ExternalTools.HasNativeLinker ? "no clang or gcc on PATH, so the native leakext was not built (install clang; .ci/run does)"
        : null;

    [NativeCliFact]
    public void The_main_job_answers_as_the_jit_compiled_leakext_does()
    {
        Assert.True(File.Exists(BinaryPath), $"{BinaryPath} was not built (building the test project publishes it)");
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        string[] loaded = new string[2];
        for (int i = 0; i < loaded.Length; i++)
        {
            loaded[i] = fixture.TempFile($"native-checkpoint-{i + 1}.leaksnap");
            if (!File.Exists(loaded[i]))
                SnapshotFile.Write(Sessions.Snapshot(dumps[i], name: $"checkpoint-{i + 1}"), loaded[i]);
        }

        (int Code, string Out, string Errors, byte[] Saved, string Html) Session(string which, Func<string[], (int, string, string)> run)
        {
            string saved = fixture.TempFile($"native-{which}-3.leaksnap"), html = fixture.TempFile($"native-{which}.html");
            File.Delete(saved);
            File.Delete(html);
            (int code, string output, string errors) = run(
            [
                "analyze", dumps[2], "-c", $"snapshots -load {loaded[0]}", "-c", $"snapshots -load {loaded[1]}",
                "-c", $"snapshot -name checkpoint-3 -save {saved}", "-c", "snapdiff", "-c", $"heapgrowth -html {html}",
                "-c", "backrefs -type Crawler.Hyperlink -depth 4", "-c", "retained -type Crawler.Hyperlink", "-c", "dominators -top 5",
                "-c", "fragmentation", "-c", "snapdiff -json", "-c", "heapgrowth -json",
            ]);
            // The files' names differ between the two runs: the output says them.
            return (code, output.Replace(saved, "SAVED").Replace(html, "HTML"), errors, WithoutWalkTime(saved), File.ReadAllText(html));
        }

        var native = Session("native", arguments => Run(BinaryPath, arguments));
        var jit = Session("jit", arguments => Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "leakext.dll"), .. arguments]));

        Assert.Equal(0, native.Code);
        Assert.Equal("", native.Errors);
        Assert.Contains("Suspect types, by growth in bytes:", native.Out);
        AssertSameText(WithoutTimes(jit.Out), WithoutTimes(native.Out), "output");
        Assert.True(jit.Saved.AsSpan().SequenceEqual(native.Saved), "the native leakext's .leaksnap differs from the JIT-compiled one's (walk time aside)");
        AssertSameText(WithoutTimes(jit.Html), WithoutTimes(native.Html), "HTML report");
    }

    private static void AssertSameText(string jit, string native, string what)
    {
        if (jit != native)
            Assert.Fail($"the native leakext's {what} differs from the JIT-compiled one's (- JIT, + native):\n{Golden.Diff(jit, native)}");
    }

    /// <summary>The file's bytes once written again with no walk time (the one field two snapshots of a dump may differ in).</summary>
    private static byte[] WithoutWalkTime(string path)
    {
        Snapshot snapshot = SnapshotFile.Read(path);
        string untimed = path + ".untimed";
        File.Delete(untimed);
        SnapshotFile.Write(snapshot with { Info = snapshot.Info with { WalkSeconds = 0 } }, untimed);
        return File.ReadAllBytes(untimed);
    }

    [NativeCliFact]
    public void A_missing_dump_is_one_line_and_exit_code_one()
    {
        Assert.True(File.Exists(BinaryPath), $"{BinaryPath} was not built (building the test project publishes it)");
        string missing = fixture.TempFile("no-such.dmp");
        (int code, string output, string errors) = Run(BinaryPath, ["analyze", missing, "-c", "snapshot"]);
        (int jitCode, _, string jitErrors) = Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "leakext.dll"), "analyze", missing, "-c", "snapshot"]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal((jitCode, jitErrors), (code, errors));
    }

    /// <summary>Elapsed times ("0.87 s", "12 ms", "seconds": 0.87) are the only thing two runs may differ in.</summary>
    private static string WithoutTimes(string text) => Times().Replace(text, "TIME");

    [GeneratedRegex(@"\b\d+(\.\d+)? ?(s|ms)\b|""(elapsedSeconds|seconds|takenSeconds)"": ?[0-9.]+")]
    private static partial Regex Times();

    private static (int Code, string Out, string Errors) Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        (int code, string output, string errors) = ChildProcess.Run(start, TimeSpan.FromMinutes(3));
        return (code, output.ReplaceLineEndings("\n"), errors.ReplaceLineEndings("\n"));
    }
}
