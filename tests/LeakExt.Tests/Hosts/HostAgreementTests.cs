using System.Diagnostics;
using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Capture;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hosts;

/// <summary>
/// The same answers everywhere: every LeakExt command, run with -json on the same dumps in one
/// session of each host — the standalone host, the DbgEng extension in the fake engine,
/// dotnet-dump and lldb through SOS — gives the same document, but for the facts that name the
/// host (<see cref="HostFacts"/>).
/// </summary>
[Collection("dumps")]
public sealed class HostAgreementTests(DumpFixture fixture)
{
    /// <summary>One dump and the commands run on it, in order, in one session; each gets -json.</summary>
    internal sealed record Script(string Name, string Dump, string[] Commands);

    private static readonly object Gate = new();
    private static Script[]? s_scripts;

    /// <summary>The scripts, and what the standalone host answers to each command.</summary>
    private Script[] Scripts()
    {
        lock (Gate)
        {
            if (s_scripts is not null)
                return s_scripts;
            string retention = fixture.Dumps("Retention").Single();
            LeakSession standalone = Standalone(retention);
            string subscriber = FirstAddress(Sessions.Run(standalone, "backrefs -type Retention.Subscriber").Out);
            string top = FirstAddress(Sessions.Run(standalone, "backrefs -type Retention.Top").Out);

            string roots = fixture.Dumps("Roots").Single();
            string rootsTarget = Regex.Match(Sessions.Run(Standalone(roots), "backrefs -type Roots.Target -depth 1").Out, @"Roots\.Target (0x[0-9a-f]+)").Groups[1].Value;
            string plugin = fixture.Dumps("Plugin", false, "leaky")[0];
            string allocator = Regex.Match(Sessions.Run(Standalone(plugin), "backrefs -type System.Reflection.LoaderAllocator -depth 1").Out,
                @"LoaderAllocator (0x[0-9a-f]+)").Groups[1].Value;

            string web = fixture.Dumps("WebApp")[^1];
            string cache = Regex.Match(Sessions.Run(Standalone(web), "backrefs -type Microsoft.Extensions.Caching.Memory.MemoryCache -depth 1").Out,
                @"MemoryCache (0x[0-9a-f]+)").Groups[1].Value;

            IReadOnlyList<string> crawler = fixture.Dumps("Crawler");
            string first = fixture.TempFile("agreement-c1.leaksnap"), second = fixture.TempFile("agreement-c2.leaksnap");
            Sessions.Run(Standalone(crawler[0]), $"snapshot -name c1 -save {first}");
            Sessions.Run(Standalone(crawler[1]), $"snapshot -name c2 -save {second}");

            return s_scripts =
            [
                new("Retention", retention,
                [
                    "snapshot -name built -top 10", "snapshots", "backrefs -type Retention.Subscriber", $"backrefs {subscriber} -depth 3",
                    $"rootpath {subscriber}", $"rootpath {subscriber} -all 3", "retained -type Retention.Top", $"retained {top}",
                    "dominators -top 8", "fragmentation -top 5", "help", "help rootpath",
                ]),
                new("WebApp", web, ["snapshot -top 8", $"rootpath {cache}", "backrefs -type WebApp.PriceCalculator -depth 4", "retained -type WebApp.Session"]),
                new("Roots", roots, [$"rootpath {rootsTarget} -all 10", $"backrefs {rootsTarget} -depth 3", "retained -type Roots.Owner", "dominators -top 5"]),
                new("Plugin", plugin, ["snapshot -top 5", $"rootpath {allocator}", "backrefs -type PluginLib.PluginItem -depth 4", "retained -type PluginLib.PluginInstance"]),
                new("Crash", fixture.CrashDump("Crash", 2, "thread"),
                [
                    "snapshot -top 10", "backrefs -type Crash.StackHeld", "retained -type Crash.Entry", "dominators -top 5", "fragmentation -top 3",
                ]),
                new("Crawler", crawler[2],
                [
                    $"snapshots -load {first}", $"snapshots -load {second}", "snapshot -name c3 -top 5", "snapdiff c1 c3 -top 10",
                    "snapdiff c1 c3 -by holder -top 5", "heapgrowth -top 5",
                ]),
            ];
        }
    }

    [Fact]
    public void The_scripts_run_every_command()
    {
        var named = Scripts().SelectMany(s => s.Commands).Select(c => c.Split(' ')[0]).ToHashSet();
        foreach (CommandDefinition command in CommandTable.All)
            Assert.Contains(command.Name, named);
    }

    [DbgEngFact]
    public void The_DbgEng_extension_answers_as_the_standalone_host() =>
        AssertAgreement("DbgEng", script =>
        {
            using var engine = new FakeDebugEngine(script.Dump);
            DbgEngExtension.Instance.Reload();
            return script.Commands.Select(command =>
            {
                string name = command.Split(' ', 2)[0];
                DbgEngExtension.Instance.Run(engine, name, command[name.Length..].Trim() + " -json");
                return engine.TakeOutput().Normal;
            }).ToArray();
        });

    [DotnetDumpFact]
    public void Dotnet_dump_answers_as_the_standalone_host() =>
        AssertAgreement("dotnet-dump", script =>
        {
            string output = DotnetDumpHost.Analyze(script.Dump, script.Commands.Select(c => InDebugServices(c) + " -json").ToArray());
            return DotnetDumpHost.JsonDocuments(output[output.IndexOf('{')..]);
        }, helpNamedLeakext: true);

    [LldbFact]
    public void Lldb_through_SOS_answers_as_the_standalone_host() =>
        AssertAgreement("lldb", script =>
        {
            (string[] outputs, string errors) = LldbHost.Run(["-c", script.Dump], script.Commands.Select(c => InDebugServices(c) + " -json").ToArray());
            Assert.True(errors.Split('\n').All(l => !l.StartsWith("error:", StringComparison.Ordinal)), errors);
            return outputs.Select(o => o[o.IndexOf('{')..]).ToArray();
        }, helpNamedLeakext: true, normalize: LldbHost.WithoutStackWalkDifferences);

    /// <summary>
    /// A live process under lldb: SOS attaches, LeakExt snapshots it, lldb detaches, and the
    /// program goes on to its end (the test started it and waits for it to exit).
    /// </summary>
    [LldbFact]
    public void Lldb_snapshots_a_live_process_and_leaves_it_running()
    {
        string? lldbSnapshot = null, standaloneSnapshot = null;
        new CheckpointRunner
        {
            FileName = "dotnet",
            Arguments = [Repository.TargetProgram("Retention")],
            Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
            NotAChild = true,
        }.Run((pid, _, _) =>
        {
            (string[] outputs, string errors) = LldbHost.Run(["-p", pid.ToString()], ["snapshot -top 0 -json"], detach: true);
            lldbSnapshot = outputs[0][outputs[0].IndexOf('{')..];
            Assert.DoesNotContain("error:", errors);
            Assert.Equal('S', ProcessState(pid));
            using var attached = new TargetSession(LeakTarget.Attach(pid));
            standaloneSnapshot = Sessions.Run(new LeakSession(new OpenTargetProvider(attached)), "snapshot -top 0 -json").Out;
        });
        Assert.Equal(ProgramTypes(standaloneSnapshot!), ProgramTypes(lldbSnapshot!));
        Assert.Equal($"process", Sessions.Json(lldbSnapshot!).GetProperty("source").GetString()!.Split(' ')[0]);
    }

    /// <summary>lldb splits quoted arguments: the way that works is documented, and the error for the way that does not says it.</summary>
    [LldbFact]
    public void Lldb_quoting_works_as_documented_and_the_error_says_how()
    {
        string dump = fixture.Dumps("Retention").Single();
        (string[] outputs, string errors) = LldbHost.Run(["-c", dump], ["snapshot -name '\\\"two words\\\"' -top 0 -json", "snapshot -name \"two words\" -top 0"]);
        string json = outputs[0][outputs[0].IndexOf('{')..];
        Assert.Equal("two words", Sessions.Json(json).GetProperty("snapshot").GetProperty("name").GetString());
        Assert.Contains("error: snapshot: unexpected argument 'words'; run 'snapshot -h' for usage. (lldb splits quoted arguments: write -name '\\\"two words\\\"')", errors);
    }

    /// <param name="helpNamedLeakext">DebugServices hosts list LeakExt's help as "leakext" ("help" is their own).</param>
    /// <param name="normalize">What is known to differ in that host, removed from both sides.</param>
    private void AssertAgreement(string host, Func<Script, string[]> runInHost, bool helpNamedLeakext = false, Func<string, string>? normalize = null)
    {
        foreach (Script script in Scripts())
        {
            LeakSession standalone = Standalone(script.Dump);
            string[] expected = script.Commands.Select(c => Sessions.Run(standalone, c + " -json").Out).ToArray();
            if (helpNamedLeakext)
                expected = expected.Select(e => e.Replace("\"name\": \"help\"", "\"name\": \"leakext\"", StringComparison.Ordinal)).ToArray();
            string[] actual = runInHost(script);
            Assert.True(actual.Length == expected.Length, $"{host}, {script.Name}: {actual.Length} answers to {expected.Length} commands");
            for (int i = 0; i < expected.Length; i++)
            {
                normalize ??= json => json;
                string? difference = JsonDiff.First(normalize(HostFacts.RemoveFromJson(expected[i])), normalize(HostFacts.RemoveFromJson(actual[i])));
                Assert.True(difference is null, $"{host}, {script.Name}, '{script.Commands[i]}': standalone ≠ {host} at {difference}");
            }
        }
    }

    /// <summary>How a command is typed in DebugServices hosts, where "help" is the host's own and LeakExt's is "leakext".</summary>
    private static string InDebugServices(string command) =>
        command == "help" || command.StartsWith("help ", StringComparison.Ordinal) ? "leakext" + command[4..] : command;

    private static LeakSession Standalone(string dump) => new(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));

    private static string FirstAddress(string text) => Regex.Match(text, @"0x[0-9a-f]{8,16}").Value;

    /// <summary>The snapshot's rows for the test program's own types (module Retention.dll).</summary>
    private static string[] ProgramTypes(string snapshotJson) =>
        Sessions.Json(snapshotJson).GetProperty("types").EnumerateArray()
            .Where(t => t.GetProperty("module").GetString() == "Retention.dll")
            .Select(t => t.GetRawText()).OrderBy(t => t, StringComparer.Ordinal).ToArray();

    /// <summary>The state letter in /proc/PID/stat: S or R running, T stopped, t traced.</summary>
    private static char ProcessState(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }
}
