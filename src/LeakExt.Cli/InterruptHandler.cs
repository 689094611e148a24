using System.Runtime.InteropServices;

namespace LeakExt.Cli;

/// <summary>
/// Turns Ctrl-C into cancelling the running command (the session stays), and SIGTERM into
/// cancelling it and leaving, so that a suspended live target is always detached first. A Ctrl-C
/// when no command runs and no prompt waits (the target still opening, or between the commands of
/// a batch) asks to leave: the next command starts cancelled, and a second Ctrl-C leaves at once.
/// </summary>
internal sealed class InterruptHandler : IDisposable
{
    private readonly object _gate = new();
    private readonly List<IDisposable> _registrations = new();
    private CancellationTokenSource? _current;

    public bool ExitRequested { get; private set; }

    /// <summary>Called on Ctrl-C at the prompt (no command running).</summary>
    public Action? AtPrompt { get; set; }

    /// <summary>
    /// Called on a second Ctrl-C while the cancelled command is still winding down: the user asked
    /// twice, so the process leaves (a live target is released by the OS as the debugger exits).
    /// </summary>
    public Action OnSecondInterrupt { get; set; } = () =>
    {
        Console.Error.WriteLine("leakext: interrupted again while cancelling; leaving.");
        Environment.Exit(130);
    };

    public InterruptHandler(bool registerSignals)
    {
        if (!registerSignals)
            return;
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                lock (_gate)
                {
                    ExitRequested = true;
                    _current?.Cancel();
                }
            }));
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Interrupt();
    }

    public CancellationToken BeginCommand()
    {
        lock (_gate)
        {
            _current = new CancellationTokenSource();
            if (ExitRequested)
                _current.Cancel();
            return _current.Token;
        }
    }

    public void EndCommand()
    {
        lock (_gate)
        {
            _current?.Dispose();
            _current = null;
        }
    }

    public void Interrupt()
    {
        bool second;
        Action? atPrompt = AtPrompt;
        lock (_gate)
        {
            if (_current is not null && !_current.IsCancellationRequested)
            {
                _current.Cancel();
                return;
            }
            second = _current is not null || (atPrompt is null && ExitRequested);
            if (!second && atPrompt is null)
            {
                ExitRequested = true;
                return;
            }
        }
        if (second)
            OnSecondInterrupt();
        else
            atPrompt!.Invoke();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        foreach (IDisposable registration in _registrations)
            registration.Dispose();
    }
}
