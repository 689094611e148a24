using System.Globalization;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>
/// `leakext record`: a snapshot of a live process every interval, each written to a .leaksnap file
/// (like a performance-counter log, without a debugger). The process is suspended only while a
/// snapshot is taken, and runs at least as long between two (<see cref="RecordingPace"/>); a GC in
/// progress is retried, and a snapshot that still meets one is skipped, never the series; Ctrl-C
/// stops between or during snapshots and keeps what was recorded.
/// </summary>
internal sealed class Recorder(TextWriter stdout, TextWriter stderr, InterruptHandler interrupts)
{
    public int Run(int processId, TimeSpan every, int count, string outDirectory, SymbolPath? symbolPath)
    {
        string directory = Path.GetFullPath(outDirectory);
        Directory.CreateDirectory(directory);
        var pace = new RecordingPace(every, count);
        Action<int, TimeSpan> retrying = (attempt, wait) =>
        {
            pace.Retrying(wait);
            stdout.WriteLine("  " + GcRetry.Describe($"process {processId}", attempt, wait));
            stdout.Flush();
        };
        // Check once that the process exists and runs .NET before the first wait.
        GcRetry.Run(() => { LeakTarget.Attach(processId, symbolPath).Dispose(); return 0; }, retrying, CancellationToken.None);
        stdout.WriteLine($"Recording {count} snapshots of process {processId}, one every {Describe(every)} from the end of one to the start of the next, into {directory}");

        var provider = new LiveProcessTargetProvider(processId, symbolPath) { OnRetry = retrying };
        var written = new List<string>();
        for (int i = 1; i <= count; i++)
        {
            CancellationToken token = interrupts.BeginCommand();
            try
            {
                token.WaitHandle.WaitOne(pace.WaitBeforeNext());
                token.ThrowIfCancellationRequested();

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
                string file = Path.Combine(directory, $"{name}-{snapshot.Info.TakenAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}{SnapshotFile.Extension}");
                SnapshotFile.Write(snapshot, file);
                written.Add(file);
                (string line, string? warning) = pace.Taken(i, snapshot, file);
                stdout.WriteLine(line);
                if (warning is not null)
                    stdout.WriteLine(warning);
                stdout.Flush();
            }
            catch (OperationCanceledException)
            {
                stderr.WriteLine($"error: recording stopped after {written.Count} snapshot{(written.Count == 1 ? "" : "s")}; they are in {directory}.");
                return SessionHost.ExitCancelled;
            }
            finally
            {
                interrupts.EndCommand();
            }
        }
        stdout.WriteLine(pace.Summary(written.Count, directory));
        return 0;
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
