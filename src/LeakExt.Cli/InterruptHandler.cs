using System.Runtime.InteropServices;

namespace LeakExt.Cli;

/// <summary>
/// Turns Ctrl-C into cancelling the running command (the session stays), and SIGTERM into
/// cancelling it and leaving, so that a suspended live target is always detached first.
/// </summary>
internal sealed class InterruptHandler : IDisposable
{
    private readonly object _gate = new();
    private readonly List<IDisposable> _registrations = new();
    private CancellationTokenSource? _current;

    public bool ExitRequested { get; private set; }

    /// <summary>Called on Ctrl-C at the prompt (no command running).</summary>
    public Action? AtPrompt { get; set; }

    public InterruptHandler(bool registerSignals)
    {
        if (!registerSignals)
            return;
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                ExitRequested = true;
                Interrupt();
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
        lock (_gate)
        {
            if (_current is not null)
            {
                _current.Cancel();
                return;
            }
        }
        AtPrompt?.Invoke();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        foreach (IDisposable registration in _registrations)
            registration.Dispose();
    }
}
