namespace LeakExt.Core.Targets;

/// <summary>What a debugger host knows about its target beyond memory: how to name it, whether it runs, when it was captured, its regions.</summary>
/// <param name="Moment">When a dump was written (null: now, for a live target).</param>
/// <param name="Regions">The committed regions of the address space, or null when the host cannot list them.</param>
public sealed record HostTargetInfo(string Description, int? ProcessId, bool IsLive, DateTimeOffset? Moment, IReadOnlyList<MemoryRegion>? Regions)
{
    /// <summary>The dump file the host opened, where the host can tell (its regions and time then come from the file).</summary>
    public ElfCoreFile? DumpFile { get; init; }

    /// <summary>How every debugger host names its target: "process 42", or "dump of process 42".</summary>
    public static string Describe(bool isLive, long? processId) => isLive ? $"process {processId}" : $"dump of process {processId}";
}

public enum MemoryRegionKind { Private, Image, Mapped }

/// <summary>One committed region of a target's address space, as a debugger reports it.</summary>
public readonly record struct MemoryRegion(ulong Start, ulong Length, MemoryRegionKind Kind)
{
    public ulong End => Start + Length;
}
