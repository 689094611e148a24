using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace LeakExt.Bench;

/// <summary>One whole-process run: wall time, peak RSS (the kernel's VmHWM), peak private memory (RssAnon, sampled every 2 ms).</summary>
internal sealed record Measurement(string Name, double Seconds, long PeakRss, long PeakPrivate, int ExitCode, string Output, string Error)
{
    /// <summary>For an interrupted run: from the SIGINT to the end of the process.</summary>
    public double? SecondsAfterInterrupt { get; init; }
}

/// <summary>
/// Runs a command as a user would (a fresh process, output to a pipe), sampling its memory from
/// /proc/PID/status until it exits. Peak private memory is what the process allocated itself
/// (GC heap, arrays, native buffers); peak RSS adds the pages of the memory-mapped dump it
/// touched, which the OS can drop at any time.
/// </summary>
internal static class ChildRun
{
    /// <summary>
    /// A program started in the background by a non-interactive shell ignores SIGINT, and so does
    /// every child it starts (an ignored signal stays ignored through exec, and the runtime then
    /// installs no handler for it): a run that is to be interrupted starts through
    /// `env --default-signal=INT`, which puts the default back and execs the command (same process).
    /// </summary>
    public static Measurement Run(string name, string file, IEnumerable<string> arguments, TimeSpan? interruptAfter = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(interruptAfter is null ? file : "env")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        if (interruptAfter is not null)
        {
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add(file);
        }
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var output = new StringBuilder();
        var error = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        long peakRss = 0, peakPrivate = 0;
        TimeSpan? interruptedAt = null;
        while (!process.WaitForExit(2))
        {
            (long rss, long anon) = Read(process.Id);
            peakRss = Math.Max(peakRss, rss);
            peakPrivate = Math.Max(peakPrivate, anon);
            if (interruptAfter is { } after && interruptedAt is null && clock.Elapsed >= after)
            {
                interruptedAt = clock.Elapsed;
                _ = Kill(process.Id, SigInt);
            }
        }
        process.WaitForExit();
        double seconds = clock.Elapsed.TotalSeconds;
        return new Measurement(name, seconds, peakRss, peakPrivate, process.ExitCode, output.ToString(), error.ToString())
        {
            SecondsAfterInterrupt = interruptedAt is { } at ? seconds - at.TotalSeconds : null,
        };
    }

    /// <summary>The peak RSS so far (VmHWM) and the private memory now (RssAnon), in bytes; zeros once the process is gone.</summary>
    private static (long Rss, long Anon) Read(int pid)
    {
        long rss = 0, anon = 0;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    rss = Kilobytes(line);
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                    anon = Kilobytes(line);
            }
        }
        catch (IOException)
        {
        }
        return (rss, anon);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(':')[1].Trim().Split(' ')[0]) * 1024;

    private const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
