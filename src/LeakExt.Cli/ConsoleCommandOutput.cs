using System.Diagnostics;
using LeakExt.Commands.Framework;
using LeakExt.Core;

namespace LeakExt.Cli;

/// <summary>The standalone host's output: text to stdout, errors and progress to stderr.</summary>
internal sealed class ConsoleCommandOutput(TextWriter stdout, TextWriter stderr, IProgress<WalkProgress>? progress) : ICommandOutput
{
    public IProgress<WalkProgress>? Progress { get; } = progress;

    public void Write(string text) => stdout.Write(text);

    public void WriteLink(string text, string command) => stdout.Write(text);

    public void WriteError(string message) => stderr.WriteLine("error: " + message);
}

/// <summary>
/// A one-line progress display on stderr that appears only once a walk has run for about a
/// second, redraws at most ten times a second, and erases itself when done.
/// </summary>
internal sealed class ConsoleProgress(TextWriter stderr, TimeSpan? delay = null) : IProgress<WalkProgress>, IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _delay = delay ?? TimeSpan.FromSeconds(1);
    private TimeSpan _lastDraw = TimeSpan.FromDays(-1);
    private int _lastWidth;

    public bool Shown => _lastWidth > 0;

    public void Report(WalkProgress value)
    {
        TimeSpan now = _clock.Elapsed;
        if (now < _delay || now - _lastDraw < TimeSpan.FromMilliseconds(100))
            return;
        _lastDraw = now;
        string amount = value.Total > 0 ? $"{Math.Min(100.0, 100.0 * value.Done / value.Total):0}%" : value.Done > 0 ? $"{value.Done:N0}" : "…";
        string line = $"{value.Phase}: {amount} ({now.TotalSeconds:0.0} s, Ctrl-C cancels)";
        stderr.Write("\r" + line.PadRight(_lastWidth));
        stderr.Flush();
        _lastWidth = line.Length;
    }

    public void Dispose()
    {
        if (_lastWidth > 0)
        {
            stderr.Write("\r" + new string(' ', _lastWidth) + "\r");
            stderr.Flush();
        }
    }
}
