using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>'leakext ps': the .NET processes of this user, one a line, as dotnet-counters ps prints them (PID, name, command line).</summary>
internal static class ProcessList
{
    public static int Print(TextWriter stdout)
    {
        IReadOnlyList<DotnetProcess> processes = DotnetProcesses.List();
        if (processes.Count == 0)
        {
            stdout.WriteLine("No .NET processes of this user publish a diagnostics endpoint (DOTNET_EnableDiagnostics=0 turns it off).");
            return 0;
        }
        int nameWidth = Math.Max(4, processes.Max(p => p.Name.Length));
        stdout.WriteLine($"{"PID",8}  {"Name".PadRight(nameWidth)}  Command line");
        foreach (DotnetProcess process in processes)
            stdout.WriteLine(TerminalText.Escape($"{process.Id,8}  {process.Name.PadRight(nameWidth)}  {process.CommandLine}"));
        return 0;
    }
}
