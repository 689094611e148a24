using System.Globalization;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>
/// `leakext record`: a snapshot of a live process every interval, each written to a .leaksnap file
/// (like a performance-counter log, without a debugger). The process is suspended only while a
/// snapshot is taken, and runs at least as long between two (<see cref="RecordingPace"/>); a GC in
/// progress is retried, and a snapshot that still meets one is skipped, never the series. One
/// cancellation token spans the whole recording, so a Ctrl-C at any moment (waiting, walking,
/// detaching, writing) stops it at the next step and says what was kept; a target that exits on
/// the way ends it with one line and exit code 1.
/// </summary>
internal sealed class Recorder(TextWriter stdout, TextWriter stderr, InterruptHandler interrupts)
{
    public int Run(int processId, TimeSpan every, int count, string outDirectory, SymbolPath? symbolPath, OutputOptions rules)
    {
        string directory = Path.GetFullPath(outDirectory);
        bool created = MakeFolder(directory);
        var pace = new RecordingPace(every, count);
        Action<int, TimeSpan> retrying = (attempt, wait) =>
        {
            pace.Retrying(wait);
            stdout.WriteLine("  " + GcRetry.Describe($"process {processId}", attempt, wait));
            stdout.Flush();
        };
        // Check once that the process exists and runs .NET before the first wait.
        GcRetry.Run(() => { LeakTarget.Attach(processId, symbolPath).Dispose(); return 0; }, retrying, CancellationToken.None);
        stdout.WriteLine($"Recording {count} snapshots of process {processId}, one every {Describe(every)} from the end of one to the start of the next, into {directory}{(created ? " (made)" : "")}");
        stdout.Flush();

        var provider = new LiveProcessTargetProvider(processId, symbolPath) { OnRetry = retrying };
        var written = new List<string>();
        CancellationToken token = interrupts.BeginCommand();
        try
        {
            for (int i = 1; i <= count; i++)
            {
                token.WaitHandle.WaitOne(pace.WaitBeforeNext());
                token.ThrowIfCancellationRequested();
                if (ProcessStatus.HasExited(processId))
                    return Exited(processId, "before", i, written, directory);

                string name = $"record-{i:00}";
                pace.Starting();
                Snapshot snapshot;
                try
                {
                    snapshot = provider.Use(session => session.TakeSnapshot(name, LeakExt.Core.Heap.HeapReaderKind.Fast, null, token), token);
                }
                catch (GcInProgressException)
                {
                    stdout.WriteLine(pace.Skipped(i, $"a GC was still in progress after {GcRetry.Attempts} attempts"));
                    stdout.Flush();
                    continue;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && ProcessStatus.HasExited(processId))
                {
                    return Exited(processId, "during", i, written, directory);
                }
                // Memory read from a process that died meanwhile is not a snapshot of it.
                if (ProcessStatus.HasExited(processId))
                    return Exited(processId, "during", i, written, directory);
                token.ThrowIfCancellationRequested();

                string file = Path.Combine(directory, $"{name}-{snapshot.Info.TakenAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}{SnapshotFile.Extension}");
                written.Add(SnapshotFile.Write(snapshot, file, rules, token));
                (string line, string? warning) = pace.Taken(i, snapshot, file);
                stdout.WriteLine(line);
                if (warning is not null)
                    stdout.WriteLine(warning);
                stdout.Flush();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping a recording is how a user ends it early: what was kept is the result (exit 0).
            stdout.WriteLine($"Stopped by Ctrl-C: {Kept(written, directory)}." +
                             (written.Count >= 2 ? $" Read the trend with: leakext heapgrowth {directory}" : ""));
            return 0;
        }
        finally
        {
            interrupts.EndCommand();
        }
        stdout.WriteLine(pace.Summary(written.Count, directory));
        return 0;
    }

    private int Exited(int processId, string when, int snapshot, List<string> written, string directory)
    {
        stderr.WriteLine($"error: process {processId} exited {when} snapshot {snapshot}; {Kept(written, directory)}.");
        return SessionHost.ExitFailure;
    }

    private static string Kept(List<string> written, string directory) => written.Count switch
    {
        0 => "0 snapshots kept",
        1 => $"1 snapshot kept, in {directory}",
        _ => $"{written.Count} snapshots kept, in {directory}",
    };

    /// <summary>The --out folder is made if missing, but not its parents: a mistyped path is an error, not a new tree.</summary>
    private static bool MakeFolder(string directory)
    {
        if (Directory.Exists(directory))
            return false;
        // "series/" names the folder series: its parent is the folder above, not series itself.
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        if (parent is null || !Directory.Exists(parent))
            throw new LeakExtException($"--out: the folder '{parent}' does not exist; create it first or record elsewhere.");
        if (File.Exists(directory) || new FileInfo(directory).LinkTarget is not null)
            throw new LeakExtException($"--out: '{directory}' is not a folder; name a folder for the .leaksnap files.");
        Directory.CreateDirectory(directory);
        return true;
    }

    /// <summary>"10s", "500ms", "2m", "1h", or plain seconds.</summary>
    public static TimeSpan ParseInterval(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1) : t.EndsWith('m') ? (t[..^1], 60) : t.EndsWith('h') ? (t[..^1], 3600) : (t, 1);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0)
            throw new LeakExtException($"--every expects a duration like 10s, 500ms, 2m or 1h, got '{text}'.");
        return TimeSpan.FromSeconds(value * scale);
    }

    private static string Describe(TimeSpan span) => span.TotalSeconds < 1 ? $"{span.TotalMilliseconds:0} ms" : $"{span.TotalSeconds:0.#} s";
}
