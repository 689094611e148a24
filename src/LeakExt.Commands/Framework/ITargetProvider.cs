using LeakExt.Core.Targets;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Gives commands the current target for the time they run. A dump stays open for the whole
/// session; a live process is attached (and suspended) only while the action runs.
/// </summary>
public interface ITargetProvider
{
    string Description { get; }

    T Use<T>(Func<TargetSession, T> action, CancellationToken cancellationToken);
}

/// <summary>A target opened once and kept (a dump, or a debugger's stopped target).</summary>
public sealed class OpenTargetProvider(TargetSession session) : ITargetProvider, IDisposable
{
    public string Description => session.Target.Description;

    public T Use<T>(Func<TargetSession, T> action, CancellationToken cancellationToken) => action(session);

    public void Dispose() => session.Dispose();
}

/// <summary>
/// A live process: attach and suspend for each command, always detach (which resumes it) afterwards.
/// Stopped in the middle of a GC, it is let go and attached again a few times (<see cref="GcRetry"/>).
/// </summary>
public sealed class LiveProcessTargetProvider(int processId, SymbolPath? symbolPath) : ITargetProvider
{
    public string Description => $"process {processId}";

    /// <summary>Told before each retry: the attempt about to be made and the wait before it.</summary>
    public Action<int, TimeSpan>? OnRetry { get; init; }

    public T Use<T>(Func<TargetSession, T> action, CancellationToken cancellationToken) => GcRetry.Run(() =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var session = new TargetSession(LeakTarget.Attach(processId, symbolPath));
        return action(session);
    }, OnRetry, cancellationToken);
}
