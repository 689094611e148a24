using System.Diagnostics;
using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hosts;

/// <summary>
/// The DebugServices adapter in a real dotnet-dump: the release pinned in .config/dotnet-tools.json,
/// which build.sh restores. Skipped, with why, only where that tool could not be restored.
/// </summary>
public sealed class DotnetDumpFactAttribute() : FactUnlessAttribute(DotnetDumpHost.Unavailable);

/// <inheritdoc cref="DotnetDumpFactAttribute"/>
public sealed class DotnetDumpTheoryAttribute() : TheoryUnlessAttribute(DotnetDumpHost.Unavailable);

internal static class DotnetDumpHost
{
    /// <summary>The adapter, built in the same configuration as these tests.</summary>
    public static string Adapter => Path.Combine(Repository.Root, "src", "LeakExt.DotnetDump", "bin", Repository.Configuration, "net10.0", "LeakExt.DotnetDump.dll");

    /// <summary>Why the adapter cannot be tried in dotnet-dump here, or null. The adapter is built against the pinned tool, so with the tool it must exist.</summary>
    public static string? Unavailable => ExternalTools.DotnetDumpMissing;

    /// <summary>The JSON documents printed one after another (each spans many lines).</summary>
    internal static string[] JsonDocuments(string text)
    {
        var documents = new List<string>();
        var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text), new System.Text.Json.JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            documents.Add(document.RootElement.GetRawText());
        }
        return documents.ToArray();
    }

    /// <summary>Runs "dotnet-dump analyze DUMP -c … -c exit" with the adapter loaded; returns its output.</summary>
    public static string Analyze(string dump, params string[] commands)
    {
        Assert.True(File.Exists(Adapter), $"{Adapter} was not built although dotnet-dump {ExternalTools.PinnedDotnetDumpVersion} is restored");
        string tool = ExternalTools.DotnetDump;
        var start = new ProcessStartInfo(tool.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : tool);
        if (tool.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(tool);
        start.ArgumentList.Add("analyze");
        start.ArgumentList.Add(dump);
        foreach (string command in commands.Append("exit"))
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
        }
        start.Environment["DOTNET_DIAGNOSTIC_EXTENSIONS"] = Adapter;
        (_, string output, string errors) = ChildProcess.Run(start, TimeSpan.FromMinutes(3));
        return output + errors;
    }
}

[Collection("dumps")]
public sealed class DotnetDumpHostTests(DumpFixture fixture)
{
    /// <summary>
    /// Same answers as the standalone host, for the program's own objects. dotnet-dump's runtime
    /// also reports the runtime's thread-static storage arrays as roots (LeakExt roots the
    /// values of the fields instead), so heap totals may differ by those few arrays; everything
    /// about the program's types must not.
    /// </summary>
    [DotnetDumpFact]
    public void Answers_about_the_programs_objects_equal_the_standalone_hosts()
    {
        string dump = fixture.Dumps("Retention").Single();
        var standalone = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump))));
        string subscriber = Regex.Match(Sessions.Run(standalone, "backrefs -type Retention.Subscriber").Out, "0x[0-9a-f]+").Value;
        string[] commands =
        [
            "snapshot -name built -top 0",
            "retained -type Retention.Top",
            "retained -type Retention.CachedItem",
            "rootpath " + subscriber,
            "snapshots",
        ];
        string output = DotnetDumpHost.Analyze(dump, commands.Select(c => c + " -json").ToArray());
        string[] documents = DotnetDumpHost.JsonDocuments(output[output.IndexOf('{')..]);
        Assert.True(documents.Length == commands.Length, output);

        string[] expected = commands.Select(c => Sessions.Run(standalone, c + " -json").Out).ToArray();
        Assert.Equal(ProgramTypes(expected[0]), ProgramTypes(documents[0]));
        System.Text.Json.JsonElement subscribers = Sessions.Json(documents[0]).GetProperty("types").EnumerateArray()
            .Single(t => t.GetProperty("type").GetString() == "Retention.Subscriber");
        Assert.Equal(3, subscribers.GetProperty("count").GetInt64());
        for (int i = 1; i < commands.Length; i++)
        {
            string[] drop = ["time", "liveCount", "liveBytes"];
            Assert.Equal(HostFacts.RemoveFromJson(expected[i], drop), HostFacts.RemoveFromJson(documents[i], drop));
        }
    }

    /// <summary>The snapshot's rows for the types the test program defines (module Retention.dll), as JSON.</summary>
    private static string[] ProgramTypes(string snapshotJson) =>
        Sessions.Json(snapshotJson).GetProperty("types").EnumerateArray()
            .Where(t => t.GetProperty("module").GetString() == "Retention.dll")
            .Select(t => t.GetRawText()).OrderBy(t => t, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// dotnet-dump opens one dump per session: a snapshot saved in one session and loaded in the
    /// next is diffed there, with the same rows for the program's types as the standalone host.
    /// </summary>
    [DotnetDumpFact]
    public void A_snapshot_saved_from_one_dump_diffs_against_the_next()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("Crawler");
        string saved = fixture.TempFile("dotnet-dump-phase1.leaksnap");
        File.Delete(saved);
        DotnetDumpHost.Analyze(dumps[0], $"snapshot -name phase1 -save {saved}");
        Assert.True(File.Exists(saved));
        string output = DotnetDumpHost.Analyze(dumps[1], $"snapshots -load {saved}", "snapshot -name phase2", "snapdiff phase1 phase2 -type Crawler.* -json");
        string diff = DotnetDumpHost.JsonDocuments(output[output.IndexOf('{')..]).Single();

        var standalone = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[0]))));
        Sessions.Run(standalone, "snapshot -name phase1");
        standalone.Target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[1])));
        (string expected, _, _) = Sessions.Run(standalone, "snapshot -name phase2", "snapdiff phase1 phase2 -type Crawler.* -json");
        expected = expected[expected.IndexOf("{\n  \"schemaVersion\": 2,\n  \"command\": \"snapdiff\"", StringComparison.Ordinal)..];

        string Rows(string json) => Sessions.Json(json).GetProperty("rows").GetRawText();
        Assert.Equal(Rows(expected), Rows(diff));
        Assert.Contains(Sessions.Json(diff).GetProperty("rows").EnumerateArray(),
            r => r.GetProperty("type").GetString() == "Crawler.Hyperlink" && r.GetProperty("deltaCount").GetInt64() == 2000);
    }

    [DotnetDumpFact]
    public void Commands_run_with_their_own_options_help_and_errors()
    {
        string dump = fixture.Dumps("Retention").Single();
        string output = DotnetDumpHost.Analyze(dump, "leakext", "rootpath -h", "rootpath -bogus", "backrefs -type Retention.CachedItem");
        foreach (CommandDefinition command in CommandTable.All)
            Assert.Matches($@"(?m)^\s+{(command.Name == "help" ? "leakext" : command.Name)}\s", output);
        Assert.DoesNotMatch(@"(?m)^\s+help\s", output);
        Assert.Contains(CommandTable.Find("rootpath")!.HelpText.Split('\n')[0], output);
        Assert.Contains("error: rootpath: unknown option '-bogus'; run 'rootpath -h' for usage.", output);
        // In ASCII: the host's console drops anything else.
        Assert.Contains("Holder: static Retention.Cache.s_entries > Dictionary<Int32, CachedItem> values", output);
        Assert.DoesNotContain(output, c => c > 0x7F);
    }
}

/// <summary>The adapter knows which host assemblies it was built against and says in one line when a host differs.</summary>
public sealed class HostVersionTests
{
    [DotnetDumpFact]
    public void The_adapter_is_stamped_with_the_pinned_tools_versions_and_names_a_mismatch_in_one_line()
    {
        var context = new System.Runtime.Loader.AssemblyLoadContext("adapter", isCollectible: true);
        try
        {
            System.Reflection.Assembly adapter = context.LoadFromAssemblyPath(DotnetDumpHost.Adapter);
            var stamped = adapter.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .Cast<System.Reflection.AssemblyMetadataAttribute>().Where(a => a.Key.StartsWith("BuiltAgainst ", StringComparison.Ordinal))
                .ToDictionary(a => a.Key["BuiltAgainst ".Length..], a => Version.Parse(a.Value!));
            // Built against the pinned tool's DebugServices itself, and ClrMD of the tool's major and minor version.
            Version ToolsCopy(string name) => System.Reflection.AssemblyName.GetAssemblyName(Path.Combine(ExternalTools.DotnetDumpFolder, name + ".dll")).Version!;
            Assert.Equal(ToolsCopy("Microsoft.Diagnostics.DebugServices"), stamped["Microsoft.Diagnostics.DebugServices"]);
            Version clrmd = ToolsCopy("Microsoft.Diagnostics.Runtime");
            Assert.Equal((clrmd.Major, clrmd.Minor), (stamped["Microsoft.Diagnostics.Runtime"].Major, stamped["Microsoft.Diagnostics.Runtime"].Minor));

            var mismatch = adapter.GetType("LeakExt.DotnetDump.HostVersions")!.GetMethod("Mismatch",
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static, [typeof(IReadOnlyDictionary<string, Version>), typeof(IReadOnlyDictionary<string, Version>)])!;
            var older = new Dictionary<string, Version>(stamped) { ["Microsoft.Diagnostics.Runtime"] = new Version(3, 1, 0, 0) };
            string? message = (string?)mismatch.Invoke(null, [stamped, older]);
            Assert.NotNull(message);
            Assert.DoesNotContain('\n', message);
            Assert.StartsWith($"LeakExt.DotnetDump was built for Microsoft.Diagnostics.Runtime {stamped["Microsoft.Diagnostics.Runtime"].Major}.x, this host has 3.1.0.0; use a host with", message);
            Assert.Null(mismatch.Invoke(null, [stamped, stamped]));
        }
        finally
        {
            context.Unload();
        }
    }
}
