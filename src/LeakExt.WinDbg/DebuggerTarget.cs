using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;
using LeakExt.WinDbg.Interop;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.WinDbg;

/// <summary>
/// The debugger's current target as commands see it. Opened on first use with ClrMD reading
/// through the debugger and the debugger's symbol path; kept (with the marked heap) while the
/// target stays stopped, dropped when it runs or the session changes.
/// </summary>
internal sealed class DebuggerTarget(EngineDispatcher dispatcher) : ITargetProvider
{
    private DebugEngine? _engine;
    private DbgEngDataReader? _reader;
    private TargetSession? _session;

    public string Description => _session?.Target.Description ?? "debugger target";

    /// <summary>Hands the target the interfaces of the command now running.</summary>
    public void Connect(DebugEngine engine)
    {
        _engine = engine;
        _reader?.Reconnect(engine);
    }

    public T Use<T>(Func<TargetSession, T> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _session ??= Open();
        return action(_session);
    }

    private TargetSession Open()
    {
        DebugEngine engine = _engine ?? throw new InvalidOperationException("no debugger connection.");
        var reader = new DbgEngDataReader(engine, dispatcher);
        (string symbolPath, bool isLive, uint? seconds, List<MemoryRegion>? regions) = dispatcher.Invoke(() =>
        {
            (_, uint qualifier) = engine.GetDebuggeeType();
            bool live = qualifier < DbgEngApi.DEBUG_DUMP_SMALL;
            return (engine.GetSymbolPath(), live, live ? null : engine.GetCurrentTimeDate(), reader.ReadCommittedRegions());
        });

        var dataTarget = new DataTarget(reader, LeakTarget.CreateOptions(SymbolPath.Parse(symbolPath)));
        var info = new HostTargetInfo(
            HostTargetInfo.Describe(isLive, reader.ProcessId),
            reader.ProcessId > 0 ? reader.ProcessId : null,
            isLive,
            seconds is uint s ? DateTimeOffset.FromUnixTimeSeconds(s) : null,
            regions);
        LeakTarget target = LeakTarget.FromHost(dataTarget, info);
        _reader = reader;
        return new TargetSession(target);
    }

    /// <summary>Forgets the opened target and what was computed on it (the target ran, or the session changed).</summary>
    public void Invalidate()
    {
        TargetSession? session = _session;
        _session = null;
        _reader = null;
        session?.Dispose();
    }
}
