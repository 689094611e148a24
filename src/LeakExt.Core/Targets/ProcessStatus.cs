using System.Diagnostics;

namespace LeakExt.Core.Targets;

/// <summary>What the kernel says about a live process: stopped by a signal, or gone.</summary>
public static class ProcessStatus
{
    /// <summary>The state letter of /proc/PID/stat (R, S, D, T, t, Z, X…), or null when there is no such process (or no /proc).</summary>
    public static char? State(int processId)
    {
        try
        {
            // "pid (comm) S ...": the command may hold spaces and parentheses; the state follows the last ')'.
            string stat = File.ReadAllText($"/proc/{processId}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stopped by a signal (SIGSTOP, Ctrl-Z: group stop, state T), as opposed to traced (t) or running.</summary>
    public static bool IsStopped(int processId) => OperatingSystem.IsLinux() && State(processId) == 'T';

    /// <summary>The process has exited (gone, or a zombie waiting for its parent).</summary>
    public static bool HasExited(int processId)
    {
        if (OperatingSystem.IsLinux())
            return State(processId) is null or 'Z' or 'X';
        try
        {
            using Process process = Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return true;
        }
    }
}
