using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hosts;

/// <summary>A test that needs leakext.so (Linux x64, where the test project publishes it); elsewhere it reports itself skipped, with why.</summary>
public sealed class DbgEngFactAttribute() : FactUnlessAttribute(DbgEngExtension.SkipReason);

/// <inheritdoc cref="DbgEngFactAttribute"/>
public sealed class DbgEngTheoryAttribute() : TheoryUnlessAttribute(DbgEngExtension.SkipReason);

/// <summary>
/// The native DbgEng extension, loaded into a fake engine that serves real dumps: every command
/// is exported, answers equal the standalone host's, snapshots survive `g`, caches do not, DML
/// links, Ctrl-Break, and DbgEng's rules (engine thread only, every interface released).
/// </summary>
[Collection("dumps")]
public sealed class DbgEngHostTests(DumpFixture fixture)
{
    private static DbgEngExtension Extension
    {
        get
        {
            // On Linux x64 the library is built with the tests: its absence is a failure, not a skip.
            Assert.True(DbgEngExtension.Unavailable is null, DbgEngExtension.Unavailable);
            return DbgEngExtension.Instance;
        }
    }

    /// <summary>A fake engine on <paramref name="dump"/>, with the extension freshly loaded (one process holds one copy of it).</summary>
    private static FakeDebugEngine Open(string dump)
    {
        Extension.Reload();
        return new FakeDebugEngine(dump);
    }

    [DbgEngFact]
    public void Every_command_is_exported_under_the_name_users_type()
    {
        DbgEngExtension extension = Extension;
        Assert.Equal(0x00010000u, extension.Version);
        foreach (CommandDefinition command in CommandTable.All)
            Assert.True(extension.HasExport(command.Name), $"leakext.so does not export '{command.Name}'");
        Assert.True(extension.HasExport("DebugExtensionNotify"));
        Assert.True(extension.HasExport("DebugExtensionUninitialize"));
    }

    /// <summary>Runs a command through the extension and checks DbgEng's rules were kept.</summary>
    private static (string Normal, string Errors, int HResult) Run(FakeDebugEngine engine, string commandLine)
    {
        string name = commandLine.Split(' ', 2)[0];
        string arguments = commandLine.Length > name.Length ? commandLine[(name.Length + 1)..] : "";
        int hr = Extension.Run(engine, name, arguments);
        (string normal, string errors, _) = engine.TakeOutput();
        Assert.Equal(0, engine.ThreadViolations);
        Assert.Equal(0, engine.UnimplementedCalls);
        Assert.Equal(0, engine.OutstandingReferences);
        return (normal, errors, hr);
    }

    private static LeakSession Standalone(string dump) =>
        new(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));

    [DbgEngFact]
    public void Answers_equal_the_standalone_hosts_on_the_same_dump()
    {
        string dump = fixture.Dumps("Retention").Single();
        string[] commands =
        [
            "snapshot -name built -top 12",
            "snapshots",
            "backrefs -type Retention.Subscriber",
            "retained -type Retention.Top",
            "dominators -top 8",
            "fragmentation -top 5",
            "help",
            "help rootpath",
        ];

        using FakeDebugEngine engine = Open(dump);
        engine.SymbolPath = "srv*" + fixture.TempFile("symbols") + "*https://msdl.microsoft.com/download/symbols";
        LeakSession standalone = Standalone(dump);
        foreach (string command in commands)
        {
            (string expected, string expectedErrors, _) = Sessions.Run(standalone, command);
            (string actual, string errors, int hr) = Run(engine, command);
            Assert.True(expectedErrors == errors, $"{command}: {errors}");
            Assert.Equal(0, hr);
            Assert.Equal(HostFacts.Remove(expected), HostFacts.Remove(actual));
            Assert.NotEmpty(actual);

            (string expectedJson, _, _) = Sessions.Run(standalone, command + " -json");
            (string actualJson, _, _) = Run(engine, command + " -json");
            Assert.Equal(HostFacts.RemoveFromJson(expectedJson), HostFacts.RemoveFromJson(actualJson));
        }

        // The target was opened with the debugger's symbol path, and reads came through the engine.
        Assert.True(engine.SymbolPathReads > 0);
        Assert.True(engine.ReadCalls > 0);

        // An address taken from the output, as a user copies it: the root path to one subscriber.
        string address = Regex.Match(Run(engine, "backrefs -type Retention.Subscriber").Normal, @"0x[0-9a-f]{8,16}").Value;
        Assert.NotEmpty(address);
        Assert.Equal(HostFacts.Remove(Sessions.Run(standalone, "rootpath " + address).Out), HostFacts.Remove(Run(engine, "rootpath " + address).Normal));
        Assert.Contains("static Retention.Publisher.Changed", Run(engine, "rootpath " + address).Normal);
    }

    [DbgEngFact]
    public void Snapshots_survive_go_between_breakpoints_and_caches_are_dropped()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        // A debugger reports a dump's time in whole seconds; breakpoints a minute apart make both hosts see the same timeline.
        DateTime first = File.GetLastWriteTimeUtc(dumps[0]);
        for (int i = 0; i < dumps.Count; i++)
            File.SetLastWriteTimeUtc(dumps[i], new DateTime(first.Ticks - first.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddMinutes(i));
        using FakeDebugEngine engine = Open(dumps[0]);
        var standalone = new LeakSession(null);
        for (int i = 0; i < dumps.Count; i++)
        {
            if (i > 0)
            {
                // `g` to the next breakpoint: the engine says the target ran, and now shows the next moment.
                engine.SwitchTo(dumps[i]);
                Extension.NotifyRunAndBreak();
            }
            standalone.Target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[i])));
            Sessions.Run(standalone, $"snapshot -name phase{i + 1}");
            Assert.Equal(0, Run(engine, $"snapshot -name phase{i + 1}").HResult);
        }

        (string diff, _, _) = Run(engine, "snapdiff phase1 phase3");
        Assert.Equal(HostFacts.Remove(Sessions.Run(standalone, "snapdiff phase1 phase3").Out), HostFacts.Remove(diff));
        // Crawler adds 2,000 Hyperlinks per phase: a stale cache would show no growth at all.
        Assert.Matches(@"\+4,000\s+\+128,000\s.*Crawler\.Hyperlink\s", diff);

        (string growth, _, _) = Run(engine, "heapgrowth -json");
        Assert.Equal(HostFacts.RemoveFromJson(Sessions.Run(standalone, "heapgrowth -json").Out), HostFacts.RemoveFromJson(growth));
        Assert.Equal("leak", Sessions.Json(growth).GetProperty("verdict").GetString());
    }

    [DbgEngFact]
    public void With_DML_addresses_are_links_that_run_the_next_command_and_text_is_escaped()
    {
        string dump = fixture.Dumps("Retention").Single();
        using FakeDebugEngine engine = Open(dump);
        string plain = Run(engine, "backrefs -type Retention.CachedItem").Normal;
        engine.PreferDml = true;
        var dmlRun = Run(engine, "backrefs -type Retention.CachedItem");
        string dml = dmlRun.Normal;
        Assert.True(dmlRun.HResult == 0, plain + dmlRun.Errors);

        // Each object in the referrer tree links to its root path, and each object on a root path to its referrers.
        Match link = Regex.Match(dml, "<exec cmd=\"!rootpath (0x[0-9a-f]+)\">(0x[0-9a-f]+)</exec>");
        Assert.True(link.Success, dml);
        Assert.Equal(link.Groups[1].Value, link.Groups[2].Value);
        Assert.Matches("<exec cmd=\"!backrefs 0x[0-9a-f]+\">0x[0-9a-f]+</exec>", Run(engine, "rootpath " + link.Groups[1].Value).Normal);
        Assert.Contains("&lt;", dml);
        string rendered = Regex.Replace(dml, "<exec cmd=\"[^\"]*\">([^<]*)</exec>", "$1")
            .Replace("&lt;", "<").Replace("&gt;", ">").Replace("&quot;", "\"").Replace("&amp;", "&");
        Assert.Equal(plain, rendered);
    }

    [DbgEngFact]
    public void Ctrl_Break_cancels_the_running_command_and_the_next_one_works()
    {
        string dump = fixture.Dumps("Crawler")[0];
        using FakeDebugEngine engine = Open(dump);
        engine.InterruptRequested = true;
        (string _, string errors, int hr) = Run(engine, "dominators");
        Assert.Equal(unchecked((int)0x800704C7), hr);
        Assert.Equal("error: dominators: cancelled.\n", errors);

        engine.InterruptRequested = false;
        (string output, string noErrors, int ok) = Run(engine, "snapshot");
        Assert.Equal(0, ok);
        Assert.Equal("", noErrors);
        Assert.Contains("Crawler.Hyperlink", output);
    }

    /// <summary>A user's mistake, or a debugger that lacks an interface we need: one error line, E_FAIL, no crash.</summary>
    [DbgEngTheory]
    [InlineData("rootpath -bogus", false, "error: rootpath: unknown option '-bogus'; run 'rootpath -h' for usage.\n")]
    [InlineData("snapshot", true, "error: snapshot: the debugger's QueryInterface(IDebugAdvanced) failed (HRESULT 0x80004002); LeakExt needs a DbgEng debugger (WinDbg, cdb) with IDebugControl4.\n")]
    public void Failures_are_one_line_errors_and_fail_the_command(string command, bool withoutIDebugAdvanced, string expected)
    {
        string dump = fixture.Dumps("Crawler")[0];
        using FakeDebugEngine engine = Open(dump);
        if (withoutIDebugAdvanced)
            engine.Withhold(FakeDebugEngine.AdvancedInterface);
        (string output, string errors, int hr) = Run(engine, command);
        Assert.Equal(unchecked((int)0x80004005), hr);
        Assert.Equal("", output);
        Assert.Equal(expected, errors);
    }

    [DbgEngFact]
    public void A_live_target_is_named_by_its_process_and_its_snapshot_stamped_now()
    {
        string dump = fixture.Dumps("Crawler")[0];
        using FakeDebugEngine engine = Open(dump);
        engine.LiveTarget = true;
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);
        (string json, string errors, int hr) = Run(engine, "snapshot -json");
        Assert.True(hr == 0, errors);
        JsonElement snapshot = Sessions.Json(json);
        Assert.Equal($"process {engine.ProcessId}", snapshot.GetProperty("source").GetString());
        Assert.InRange(snapshot.GetProperty("snapshot").GetProperty("time").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(1));
        // Still the whole heap of the first checkpoint: 2,000 Hyperlinks.
        Assert.Contains(snapshot.GetProperty("types").EnumerateArray(),
            t => t.GetProperty("type").GetString() == "Crawler.Hyperlink" && t.GetProperty("count").GetInt64() == 2000);
    }
}
