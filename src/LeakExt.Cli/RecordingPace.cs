using System.Diagnostics;
using LeakExt.Commands.Rendering;
using LeakExt.Core.Snapshots;

namespace LeakExt.Cli;

/// <summary>
/// The pace and the feedback of `leakext record`. The interval runs from the end of one snapshot to
/// the start of the next, and is never shorter than the last snapshot took, so the process runs at
/// least as long as it was stopped (suspended at most half the time) and a slow walk cannot freeze
/// it for the whole recording. Lines: one per snapshot (n of N, how long it took, live bytes and the
/// change since the last one, when the next comes), a warning when a snapshot outlasts the interval,
/// and a summary with the command that reads the series.
/// </summary>
internal sealed class RecordingPace(TimeSpan every, int count)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _suspended, _started, _lastEnd, _lastDuration, _letRun;
    private long? _lastLive;
    private int _attempts;

    /// <summary>How long to wait before the next snapshot: nothing before the first.</summary>
    public TimeSpan WaitBeforeNext()
    {
        if (_attempts == 0)
            return TimeSpan.Zero;
        TimeSpan due = _lastEnd + Max(every, _lastDuration);
        return due > _clock.Elapsed ? due - _clock.Elapsed : TimeSpan.Zero;
    }

    public void Starting()
    {
        _started = _clock.Elapsed;
        _letRun = TimeSpan.Zero;
    }

    /// <summary>A retry lets the process run for <paramref name="wait"/>: not suspended time.</summary>
    public void Retrying(TimeSpan wait) => _letRun += wait;

    /// <summary>Records a snapshot that was taken; returns its line and, when it outlasted the interval, a warning.</summary>
    public (string Line, string? Warning) Taken(int number, Snapshot snapshot, string file)
    {
        TimeSpan took = Finish();
        long live = snapshot.Totals.LiveBytes;
        string change = _lastLive is long last ? $" ({(live >= last ? "+" : "")}{Format.Size(live - last)})" : "";
        _lastLive = live;
        string next = number < count ? $"; next in {Seconds(Max(every, took))}" : "";
        string line = $"  {number}/{count}  {snapshot.Info.TakenAt.UtcDateTime:HH:mm:ss}  took {Seconds(took)}  live {Format.Size(live)}{change}, " +
                      $"{Format.Number(snapshot.Totals.LiveCount)} objects  → {Path.GetFileName(file)}{next}";
        string? warning = took > every && number < count
            ? $"  warning: snapshot {number} took {Seconds(took)}, longer than the {Seconds(every)} interval: the next one waits {Seconds(took)} " +
              $"so that the process runs as long as it was stopped (suspended {SuspendedShare():0}% of the time so far)"
            : null;
        return (line, warning);
    }

    /// <summary>Records a snapshot that could not be taken; returns its line.</summary>
    public string Skipped(int number, string why)
    {
        Finish();
        _lastDuration = TimeSpan.Zero;
        return $"  {number}/{count}  skipped: {why}; the recording goes on" + (number < count ? $"; next in {Seconds(every)}" : "");
    }

    public string Summary(int written, string directory) =>
        $"Done: {written} of {count} snapshots in {Seconds(_clock.Elapsed)}; the process was suspended {Seconds(_suspended)} of it ({SuspendedShare():0}%). " +
        $"Read the trend with: leakext heapgrowth {directory}";

    private TimeSpan Finish()
    {
        _attempts++;
        _lastEnd = _clock.Elapsed;
        _lastDuration = _lastEnd - _started - _letRun;
        _suspended += _lastDuration;
        return _lastDuration;
    }

    private double SuspendedShare() => _clock.Elapsed > TimeSpan.Zero ? 100 * _suspended / _clock.Elapsed : 0;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Seconds(TimeSpan span) => span.TotalSeconds < 1 ? $"{span.TotalMilliseconds:0} ms"
        : span.TotalMinutes < 2 ? $"{span.TotalSeconds:0.0} s" : $"{(int)span.TotalMinutes} min {span.Seconds} s";
}
