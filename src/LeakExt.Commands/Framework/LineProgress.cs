using System.Diagnostics;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Progress for hosts whose output cannot be redrawn in place (debuggers): a line per report,
/// written only for walks that take longer than two seconds and then at most every five.
/// <paramref name="cancelHint"/> says how to cancel ("Ctrl-C cancels"), or that the host cannot.
/// </summary>
public sealed class LineProgress(Action<string> writeLine, string cancelHint) : IProgress<WalkProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private TimeSpan _next = TimeSpan.FromSeconds(2);

    public void Report(WalkProgress value)
    {
        TimeSpan now = _clock.Elapsed;
        lock (_gate)
        {
            if (now < _next)
                return;
            _next = now + TimeSpan.FromSeconds(5);
        }
        string amount = value.Total > 0 ? $"{Math.Min(100.0, 100.0 * value.Done / value.Total):0}%" : $"{value.Done:N0}";
        writeLine($"leakext: {value.Phase} {amount} ({now.TotalSeconds:0} s; {cancelHint})");
    }
}
