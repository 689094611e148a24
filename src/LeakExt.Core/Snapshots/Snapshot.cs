namespace LeakExt.Core.Snapshots;

/// <summary>Where and how a snapshot was taken.</summary>
public sealed record SnapshotInfo(
    string? Name,
    DateTimeOffset TakenAt,
    string Source,
    int? ProcessId,
    string RuntimeVersion,
    int PointerSize,
    bool ServerGc,
    int HeapCount,
    string Reader,
    double WalkSeconds);

/// <summary>Objects and bytes of one generation: live, dead (unreachable, not yet collected) and free space.</summary>
public sealed record GenerationTotals(
    string Generation,
    long LiveCount,
    long LiveBytes,
    long DeadCount,
    long DeadBytes,
    long FreeCount,
    long FreeBytes);

/// <summary>
/// Heap totals. CommittedBytes is the committed memory of the regions/segments in use (what SOS
/// <c>eeheap -gc</c> reports); FreeRegionBytes the committed memory of free regions the GC keeps for
/// reuse; GcMemoryBytes both, the GC's whole share of the process (see <see cref="Growth.GcMemory"/>).
/// </summary>
public sealed record HeapTotals(
    long LiveCount,
    long LiveBytes,
    long DeadCount,
    long DeadBytes,
    long FreeCount,
    long FreeBytes,
    long CommittedBytes,
    long ReservedBytes,
    IReadOnlyList<GenerationTotals> Generations)
{
    /// <summary>Committed memory in free regions the GC keeps for reuse (0 in files written before it was recorded).</summary>
    public long FreeRegionBytes { get; init; }

    public long GcMemoryBytes => CommittedBytes + FreeRegionBytes;
}

/// <summary>
/// One type's live objects (count, bytes, and per generation in the order of
/// <see cref="Heap.HeapGenerations.Names"/>), plus its dead objects. Keyed by full name and module.
/// </summary>
public sealed record TypeStats(
    string Type,
    string Module,
    long Count,
    long Bytes,
    long[] CountByGeneration,
    long[] BytesByGeneration,
    long DeadCount,
    long DeadBytes)
{
    public TypeKey Key => new(Type, Module);
}

/// <summary>How types are matched across snapshots: never by MethodTable, which differs between processes.</summary>
public readonly record struct TypeKey(string Type, string Module);

/// <summary>
/// Live objects of one type under one holder (root name plus owner path, collections folded),
/// with one example object's address. Keyed by (type, module, holder) across snapshots.
/// </summary>
public sealed record HolderStats(string Type, string Module, string Holder, long Count, long Bytes, ulong ExampleAddress);

/// <summary>Things the walk met that were not right: counted and reported, never fatal.</summary>
/// <param name="ConservativeStackThreads">Threads whose stack roots came from a conservative scan: a throw in flight (on which the runtime's stack walk crashes), or a walk that ended early.</param>
/// <param name="IncompleteStackThreads">Of those, the threads whose walk ended early at a managed frame the runtime could not name (a live thread stopped mid-JIT or in a stub).</param>
public sealed record SnapshotDiagnostics(
    long CorruptObjects,
    long InvalidReferences,
    long UnresolvedRoots,
    long UnreadableBytes,
    long ConservativeStackThreads = 0,
    long IncompleteStackThreads = 0);

/// <summary>The live managed heap at one moment: what a leak hunt compares.</summary>
public sealed record Snapshot(
    SnapshotInfo Info,
    HeapTotals Totals,
    IReadOnlyList<TypeStats> Types,
    IReadOnlyDictionary<string, long> Roots,
    long FinalizerQueueLength,
    long FinalizableObjects,
    SnapshotDiagnostics Diagnostics)
{
    /// <summary>The (type, holder) histogram; empty when the snapshot was taken without holders.</summary>
    public IReadOnlyList<HolderStats> Holders { get; init; } = [];

    /// <summary>The process's memory by region kind, when the target could tell.</summary>
    public Growth.ProcessMemory? Memory { get; init; }

    /// <summary>Pinned objects and the free space they hold open; null in files written before it was recorded.</summary>
    public PinningSummary? Pinning { get; init; }
}

/// <summary>
/// What pinning does to the heap at this moment: pinned objects (targets of pinned and async-pinned
/// handles, and the pinned object heap's live objects), the free bytes right before them (space the
/// GC cannot close while they stay), and of the largest free blocks, how many end at a pinned object.
/// </summary>
public sealed record PinningSummary(long PinnedObjects, long FreeBytesBeforePinned, int LargestFreeBlocks, int LargestFreeNextToPinned);
