using System.Diagnostics;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Progress for hosts whose output cannot be redrawn in place (debuggers): a line per report,
/// written only for walks that take longer than two seconds and then at most every five.
/// <paramref name="interruptKey"/> names the key that cancels, where the host has one.
/// </summary>
public sealed class LineProgress(Action<string> writeLine, string? interruptKey) : IProgress<WalkProgress>
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
        string cancel = interruptKey is null ? "" : $"; {interruptKey} cancels";
        writeLine($"leakext: {value.Phase} {amount} ({now.TotalSeconds:0} s{cancel})");
    }
}
