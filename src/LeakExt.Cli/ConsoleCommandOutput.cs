using System.Diagnostics;
using LeakExt.Commands.Framework;
using LeakExt.Core;

namespace LeakExt.Cli;

/// <summary>The standalone host's output: text to stdout, errors and progress to stderr.</summary>
internal sealed class ConsoleCommandOutput(TextWriter stdout, TextWriter stderr, ConsoleProgress? progress) : ICommandOutput
{
    public IProgress<WalkProgress>? Progress { get; } = progress;

    public void Write(string text)
    {
        progress?.Clear();
        stdout.Write(text);
    }

    public void WriteLink(string text, string command) => Write(text);

    public void WriteError(string message)
    {
        progress?.Clear();
        stderr.WriteLine("error: " + message);
    }
}

/// <summary>
/// A one-line progress display on stderr that appears only once a command has run for about a
/// second, redraws at most ten times a second, names the phase, and estimates the time left in
/// it from its pace so far. It is erased before any other output (stdout and stderr share the
/// terminal, so text would run on after the percentage) and when the command ends. Reports come
/// from parallel walkers: one lock around drawing.
/// </summary>
internal sealed class ConsoleProgress : IProgress<WalkProgress>, IDisposable
{
    private readonly object _gate = new();
    private readonly TextWriter _stderr;
    private readonly Func<TimeSpan> _clock;
    private readonly TimeSpan _delay;
    private readonly Func<int> _width;
    private TimeSpan _lastDraw = TimeSpan.FromDays(-1);
    private string? _phase;
    private TimeSpan _phaseStart;
    private long _phaseStartDone;
    private int _lastWidth;

    public ConsoleProgress(TextWriter stderr, TimeSpan? delay = null, Func<TimeSpan>? clock = null, Func<int>? width = null)
    {
        _stderr = stderr;
        _delay = delay ?? TimeSpan.FromSeconds(1);
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
        _width = width ?? TerminalWidth;
    }

    public bool Shown => _lastWidth > 0;

    public void Report(WalkProgress value)
    {
        lock (_gate)
        {
            TimeSpan now = _clock();
            if (value.Phase != _phase)
            {
                _phase = value.Phase;
                _phaseStart = now;
                _phaseStartDone = value.Done;
            }
            if (now < _delay || now - _lastDraw < TimeSpan.FromMilliseconds(100))
                return;
            _lastDraw = now;
            string line = Describe(value, now - _phaseStart, now);
            int room = Math.Max(20, _width() - 1);
            if (line.Length > room)
                line = line[..(room - 1)] + "…";
            _stderr.Write("\r" + line.PadRight(_lastWidth));
            _stderr.Flush();
            _lastWidth = line.Length;
        }
    }

    /// <summary>"walking heap: 45%, about 4 s left (3.2 s, Ctrl-C cancels)"; without a total, how many so far.</summary>
    internal string Describe(WalkProgress value, TimeSpan inPhase, TimeSpan total)
    {
        string amount = value.Total > 0 ? $"{Math.Min(100.0, 100.0 * value.Done / value.Total):0}%" : value.Done > 0 ? $"{value.Done:N0}" : "…";
        string left = "";
        long doneInPhase = value.Done - _phaseStartDone;
        if (value.Total > 0 && doneInPhase > 0 && inPhase >= TimeSpan.FromSeconds(1) && value.Done < value.Total)
        {
            double seconds = inPhase.TotalSeconds * (value.Total - value.Done) / doneInPhase;
            left = seconds < 60 ? $", about {Math.Max(1, Math.Round(seconds)):0} s left" : $", about {Math.Round(seconds / 60):0} min left";
        }
        return $"{value.Phase}: {amount}{left} ({total.TotalSeconds:0.0} s, Ctrl-C cancels)";
    }

    /// <summary>Erases the line if it is shown; the next report draws it again.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (_lastWidth == 0)
                return;
            _stderr.Write("\r" + new string(' ', _lastWidth) + "\r");
            _stderr.Flush();
            _lastWidth = 0;
        }
    }

    public void Dispose() => Clear();

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
