using System.Diagnostics;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hosts;

/// <summary>A test that runs LeakExt in lldb through SOS; skipped, with why, where lldb or a managed-capable SOS is missing.</summary>
public sealed class LldbFactAttribute() : FactUnlessAttribute(LldbHost.Unavailable);

/// <summary>
/// lldb with SOS's plugin and LeakExt's adapter (DOTNET_DIAGNOSTIC_EXTENSIONS). SOS runs managed
/// extensions under lldb through SOS.Extensions.dll, which comes with dotnet-sos: dotnet-dump's
/// package carries SOS's native plugin but not that assembly, so the plugin alone cannot load
/// LeakExt. The SOS folder is LEAKEXT_SOS_DIR, else what `dotnet-sos install` made (~/.dotnet/sos).
/// </summary>
internal static class LldbHost
{
    public const string SosVariable = "LEAKEXT_SOS_DIR";

    /// <summary>
    /// Under lldb, SOS gets each thread's registers from lldb, which for a thread waiting in the
    /// kernel starts the runtime's stack walk a frame or so away from where a core's own register
    /// notes do: the same objects are live, but a few stack roots of waiting threads are counted
    /// or named by another frame. Removes the stack-root count and the holders that begin at a
    /// thread's stack from a snapshot document; anything else must agree.
    /// </summary>
    public static string WithoutStackWalkDifferences(string json)
    {
        System.Text.Json.Nodes.JsonNode? node = System.Text.Json.Nodes.JsonNode.Parse(json);
        if (node is System.Text.Json.Nodes.JsonObject { } document && document["command"]?.GetValue<string>() == "snapshot")
        {
            (document["roots"] as System.Text.Json.Nodes.JsonObject)?.Remove("stack");
            if (document["holders"] is System.Text.Json.Nodes.JsonArray holders)
            {
                foreach (System.Text.Json.Nodes.JsonNode? row in holders.Where(h => h?["holder"]?.GetValue<string>().StartsWith("thread ", StringComparison.Ordinal) == true).ToList())
                    holders.Remove(row);
                document.Remove("holderCount");
            }
        }
        return node?.ToJsonString() ?? "null";
    }

    /// <summary>A folder with libsosplugin.so and, beside it or in net8.0/, SOS.Extensions.dll; or null.</summary>
    public static string? SosFolder
    {
        get
        {
            string[] candidates = Environment.GetEnvironmentVariable(SosVariable) is { Length: > 0 } given
                ? [given]
                : [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "sos")];
            return candidates.FirstOrDefault(folder =>
                File.Exists(Path.Combine(folder, "libsosplugin.so"))
                && (File.Exists(Path.Combine(folder, "SOS.Extensions.dll")) || File.Exists(Path.Combine(folder, "net8.0", "SOS.Extensions.dll"))));
        }
    }

    public static string? Unavailable =>
        !OperatingSystem.IsLinux() ? "the lldb tests run on Linux"
        : ExternalTools.FindOnPath("lldb") is null ? "lldb is not installed (Debian: apt-get install lldb; .ci/run installs it)"
        : SosFolder is null ? $"no SOS for lldb that runs managed extensions: SOS.Extensions.dll ships with dotnet-sos, which this NuGet registry does not serve, not with dotnet-dump (install dotnet-sos and run 'dotnet-sos install', or set {SosVariable})"
        : ExternalTools.DotnetDumpMissing;

    /// <summary>
    /// Runs `lldb --batch` on <paramref name="targetArguments"/> (`-c DUMP` or `-p PID`) with SOS
    /// loaded and each LeakExt command as `sos COMMAND`; returns each command's standard output
    /// (lldb echoes every command as "(lldb) …", which is where one ends and the next begins) and
    /// the whole standard error.
    /// </summary>
    public static (string[] Outputs, string Errors) Run(string[] targetArguments, IReadOnlyList<string> commands, bool detach = false)
    {
        var start = new ProcessStartInfo("lldb");
        foreach (string argument in new[] { "--batch", "--no-lldbinit", "-o", $"plugin load {Path.Combine(SosFolder!, "libsosplugin.so")}" })
            start.ArgumentList.Add(argument);
        foreach (string command in commands)
        {
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add("sos " + command);
        }
        if (detach)
        {
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add("process detach");
        }
        foreach (string argument in targetArguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_DIAGNOSTIC_EXTENSIONS"] = DotnetDumpHost.Adapter;

        (_, string output, string errors) = ChildProcess.Run(start, TimeSpan.FromMinutes(3));
        string[] chunks = ("\n" + output).Split("\n(lldb) ");
        var outputs = new List<string>();
        int next = 0;
        foreach (string command in commands)
        {
            string echo = "sos " + command;
            while (next < chunks.Length && !(chunks[next].StartsWith(echo + "\n", StringComparison.Ordinal) || chunks[next] == echo))
                next++;
            if (next == chunks.Length)
                throw new InvalidOperationException($"lldb ran no '{echo}': {output}{errors}");
            outputs.Add(chunks[next][Math.Min(chunks[next].Length, echo.Length + 1)..]);
            next++;
        }
        return (outputs.ToArray(), errors);
    }
}
