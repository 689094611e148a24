using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;

namespace LeakExt.Core.Targets;

/// <summary>A running .NET process as the process list shows it: its id, name, and command line.</summary>
public sealed record DotnetProcess(int Id, string Name, string CommandLine)
{
    /// <summary>The app a 'dotnet app.dll' process runs ("app"), else null.</summary>
    public string? AppName
    {
        get
        {
            string[] words = CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !Path.GetFileNameWithoutExtension(words[0]).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                return null;
            string? app = words.Skip(1).FirstOrDefault(w => w.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
            return app is null ? null : Path.GetFileNameWithoutExtension(app);
        }
    }
}

/// <summary>
/// The .NET processes of this user, found as dotnet-counters and dotnet-dump find them: each
/// runtime publishes a diagnostics IPC endpoint (dotnet-diagnostic-PID-…-socket in $TMPDIR on
/// Linux and macOS, a named pipe on Windows). A process without one is not a .NET process we can use.
/// </summary>
public static class DotnetProcesses
{
    public static IReadOnlyList<DotnetProcess> List()
    {
        var found = new List<DotnetProcess>();
        foreach (int id in DiagnosticsClient.GetPublishedProcesses().Distinct().Order())
        {
            if (Describe(id) is { } process)
                found.Add(process);
        }
        return found;
    }

    /// <summary>
    /// A process id, or the name of a .NET process: its process name, or the app of 'dotnet app.dll'
    /// (case-insensitive), which must name exactly one.
    /// </summary>
    public static int Resolve(string pidOrName)
    {
        if (int.TryParse(pidOrName, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
            return pid;
        DotnetProcess[] matches = List().Where(p => p.Name.Equals(pidOrName, StringComparison.OrdinalIgnoreCase)
                                                     || string.Equals(p.AppName, pidOrName, StringComparison.OrdinalIgnoreCase)).ToArray();
        return matches.Length switch
        {
            1 => matches[0].Id,
            0 => throw new ProcessChoiceException($"no .NET process named '{pidOrName}'", ambiguous: false),
            _ => throw new ProcessChoiceException($"{matches.Length} .NET processes are named '{pidOrName}' ({string.Join(", ", matches.Select(m => m.Id))})", ambiguous: true),
        };
    }

    /// <summary>Stops with one line unless <paramref name="pid"/> is a running .NET process.</summary>
    public static void RequireDotnet(int pid)
    {
        if (DiagnosticsClient.GetPublishedProcesses().Contains(pid))
            return;
        if (Describe(pid) is not { } process)
            throw new ProcessChoiceException($"no process {pid} is running", ambiguous: false);
        throw new ProcessChoiceException($"process {pid} ({process.Name}) is not a .NET process (it publishes no diagnostics endpoint)", ambiguous: false);
    }

    private static DotnetProcess? Describe(int id)
    {
        try
        {
            using Process process = Process.GetProcessById(id);
            return new DotnetProcess(id, process.ProcessName, CommandLine(id) ?? process.ProcessName);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;  // gone since it was listed, or not ours to see
        }
    }

    /// <summary>The command line from /proc (arguments separated by NULs); elsewhere none.</summary>
    private static string? CommandLine(int id)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            string raw = File.ReadAllText($"/proc/{id}/cmdline");
            return raw.TrimEnd('\0').Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
