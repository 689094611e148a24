using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.DebugServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.DotnetDump;

/// <summary>
/// LeakExt's state for one debugger target, kept by the host across commands: the snapshots,
/// and the target opened over the host's own ClrRuntime (its DAC, found through its symbol
/// path). The opened target and its caches are dropped when the host flushes the target
/// (the process ran, or the user asked); snapshots stay.
/// </summary>
[ServiceExport(Scope = ServiceScope.Target)]
public sealed class LeakExtTargetState
{
    public LeakExtTargetState(ITarget target)
    {
        Target = new HostTarget(target);
        Session = new LeakSession(Target);
        target.OnFlushEvent.Register(Target.Invalidate);
    }

    internal HostTarget Target { get; }

    public LeakSession Session { get; }
}

/// <summary>The host's target as LeakExt commands see it.</summary>
internal sealed class HostTarget(ITarget target) : ITargetProvider
{
    private ClrRuntime? _runtime;
    private IMemoryRegionService? _regions;
    private TargetSession? _session;

    public string Description => HostTargetInfo.Describe(!target.IsDump, target.ProcessId);

    /// <summary>The runtime and services of the command now running (the host rebuilds the runtime after a flush).</summary>
    public void Connect(ClrRuntime? runtime, IMemoryRegionService? regions)
    {
        _runtime = runtime;
        _regions = regions;
    }

    public T Use<T>(Func<TargetSession, T> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ClrRuntime runtime = _runtime
            ?? throw new LeakExtException("this target has no .NET runtime the host could load; check 'runtimes' and the symbol path (setsymbolserver).");
        if (_session is null || !ReferenceEquals(_session.Target.Runtime, runtime))
        {
            (string Path, ElfCoreFile Core)? dump = target.IsDump ? HostDumpFile.Find(runtime) : null;
            var info = new HostTargetInfo(Description, (int?)target.ProcessId, !target.IsDump, Moment: null, dump is null ? ReadRegions() : null)
            {
                DumpFile = dump?.Core,
            };
            _session = new TargetSession(LeakTarget.FromHostRuntime(runtime, info));
        }
        return action(_session);
    }

    /// <summary>Committed regions, where the host can list them (WinDbg through SOS; lldb and dotnet-dump cannot: a live process then reads /proc).</summary>
    private List<MemoryRegion>? ReadRegions()
    {
        if (_regions is null)
            return null;
        var regions = new List<MemoryRegion>();
        foreach (IMemoryRegion region in _regions.EnumerateRegions())
        {
            if (region.State != MemoryRegionState.MEM_COMMIT || region.Size == 0)
                continue;
            MemoryRegionKind kind = region.Type switch
            {
                MemoryRegionType.MEM_IMAGE => MemoryRegionKind.Image,
                MemoryRegionType.MEM_MAPPED => MemoryRegionKind.Mapped,
                _ => MemoryRegionKind.Private,
            };
            regions.Add(new MemoryRegion(region.Start, region.Size, kind));
        }
        return regions.Count > 0 ? regions : null;
    }

    /// <summary>Forgets the opened target and what was computed on it; the host owns the runtime.</summary>
    public void Invalidate() => _session = null;
}
