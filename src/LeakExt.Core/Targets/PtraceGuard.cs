using System.Globalization;
using System.Runtime.InteropServices;

namespace LeakExt.Core.Targets;

/// <summary>
/// The promise that a live target is left as the user left it. ClrMD detaches the threads it
/// recorded when it attached; a thread it attached to but failed to record (a racing clone, a
/// failed wait) stays in tracing stop under our thread, and a stop signal still pending at detach
/// leaves the process in a group stop. After every detach we detach any thread still traced by us
/// (from this same thread, as ptrace requires), then send SIGCONT — unless the process was stopped
/// (SIGSTOP, Ctrl-Z: state T) before we attached: then it is stopped again if it is not.
/// </summary>
internal static partial class PtraceGuard
{
    private const int PtraceDetach = 17;
    private const int WaitAll = 0x40000000;   // __WALL: clones too
    private const int WaitNoHang = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial long ptrace(int request, int pid, nint address, nint data);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, nint status, int options);

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    private const int SignalContinue = 18;   // SIGCONT on Linux (x86-64 and arm64)
    private const int SignalStop = 19;       // SIGSTOP on Linux (x86-64 and arm64)

    /// <summary>
    /// Detaches every thread of <paramref name="processId"/> still traced by the calling thread; returns how many.
    /// <paramref name="leaveStopped"/>: the process was stopped before we attached, and stays so.
    /// </summary>
    public static int DetachLeftovers(int processId, bool leaveStopped)
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        int self = gettid();
        int detached = 0;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            bool tracedByUs = false;
            foreach ((int tid, int tracer, char state) in Threads(processId))
            {
                if (tracer != self)
                    continue;
                tracedByUs = true;
                if (state is 't' or 'T')
                {
                    if (ptrace(PtraceDetach, tid, 0, 0) == 0)
                        detached++;
                }
                else
                {
                    // Not stopped yet: collect its pending stop so that it can be detached.
                    waitpid(tid, 0, WaitAll | WaitNoHang);
                }
            }
            if (!tracedByUs)
                break;
            Thread.Sleep(10);
        }
        if (leaveStopped)
        {
            // The user's stop: the detach may have let it run; stop it again (a no-op for a stopped process),
            // and wait until the kernel shows it stopped, so that the next attach sees it as the user left it.
            kill(processId, SignalStop);
            for (int wait = 0; wait < 400 && ProcessStatus.State(processId) is not ('T' or null); wait++)
                Thread.Sleep(5);
            return detached;
        }
        // A SIGSTOP that ptrace sent on attach and nobody consumed would, after the detach, put the
        // process into a group stop: continue it. For a running process SIGCONT changes nothing.
        kill(processId, SignalContinue);
        return detached;
    }

    /// <summary>How many threads of <paramref name="processId"/> are not in a tracing stop under the calling thread (0 off Linux).</summary>
    public static int ThreadsNotStoppedByUs(int processId)
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        int self = gettid();
        return Threads(processId).Count(t => t.Tracer != self || t.State != 't');
    }

    private static IEnumerable<(int Tid, int Tracer, char State)> Threads(int processId)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{processId}/task");
        }
        catch (IOException)
        {
            yield break;
        }
        catch (UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string task in tasks)
        {
            int tracer = 0;
            char state = '?';
            try
            {
                foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("State:", StringComparison.Ordinal))
                        state = line[6..].TrimStart()[0];
                    else if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
                        tracer = int.Parse(line[10..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                continue;
            }
            yield return (int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), tracer, state);
        }
    }
}
