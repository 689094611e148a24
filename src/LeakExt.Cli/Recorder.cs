using System.Diagnostics;
using System.Globalization;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

namespace LeakExt.Cli;

/// <summary>
/// `leakext record`: a snapshot of a live process every interval, each written to a .leaksnap file
/// (like a performance-counter log, without a debugger). The process is suspended only while a
/// snapshot is taken; Ctrl-C stops between or during snapshots and keeps what was recorded.
/// </summary>
internal sealed class Recorder(TextWriter stdout, TextWriter stderr, InterruptHandler interrupts)
{
    public int Run(int processId, TimeSpan every, int count, string outDirectory, SymbolPath? symbolPath)
    {
        string directory = Path.GetFullPath(outDirectory);
        Directory.CreateDirectory(directory);
        // Check once that the process exists and runs .NET before the first wait.
        LeakTarget.Attach(processId, symbolPath).Dispose();
        stdout.WriteLine($"Recording {count} snapshots of process {processId}, one every {Describe(every)}, into {directory}");

        var provider = new LiveProcessTargetProvider(processId, symbolPath);
        var written = new List<string>();
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= count; i++)
        {
            CancellationToken token = interrupts.BeginCommand();
            try
            {
                TimeSpan due = every * (i - 1);
                if (clock.Elapsed < due)
                    token.WaitHandle.WaitOne(due - clock.Elapsed);
                token.ThrowIfCancellationRequested();

                string name = $"record-{i:00}";
                Snapshot snapshot = provider.Use(session => session.TakeSnapshot(name, LeakExt.Core.Heap.HeapReaderKind.Fast, null, token), token);
                string file = Path.Combine(directory, $"{name}-{snapshot.Info.TakenAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}{SnapshotFile.Extension}");
                SnapshotFile.Write(snapshot, file);
                written.Add(file);
                stdout.WriteLine($"  {i}/{count}  {snapshot.Info.TakenAt.UtcDateTime:HH:mm:ss}  live {snapshot.Totals.LiveCount:N0} objects, {snapshot.Totals.LiveBytes:N0} bytes  → {Path.GetFileName(file)}");
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
        stdout.WriteLine($"Done. Read the trend with: leakext heapgrowth {directory}");
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
