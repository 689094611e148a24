using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Growth;

/// <summary>
/// The GC's memory as the GC itself accounts for it. In use: the committed memory of every
/// region or segment the heap lists, empty ones and the frozen (non-GC) heap included — what SOS
/// <c>eeheap -gc</c> totals as "GC Committed Heap Size". Free regions: memory the GC decommitted
/// from the heap but keeps committed for reuse (per-heap and global free lists, regions waiting to
/// be decommitted, freed segments), which a spike leaves behind; the runtime counts it in
/// <c>GCMemoryInfo.TotalCommittedBytes</c> (which leaves the frozen heap out), SOS does not.
/// </summary>
public sealed record GcMemory(long InUseCommittedBytes, long FreeRegionBytes, long FrozenCommittedBytes, long ReservedBytes)
{
    /// <summary>All memory the GC holds committed: regions in use plus free regions kept for reuse.</summary>
    public long TotalBytes => InUseCommittedBytes + FreeRegionBytes;
}

/// <summary>
/// Reads <see cref="GcMemory"/> and the address ranges behind it, plus the runtime's other native
/// heaps (loader, code, stub heaps, handle tables, GC bookkeeping), from one runtime. One pass over
/// the segment list and the runtime's native-heap list, both in the hundreds.
/// </summary>
internal sealed class RuntimeMemoryMap
{
    public required GcMemory Gc { get; init; }

    /// <summary>Committed ranges the GC owns: regions in use and free regions.</summary>
    public required IReadOnlyList<(ulong Start, ulong End)> GcRanges { get; init; }

    /// <summary>The runtime's native heaps other than GC regions (their reserved ranges; a dump holds only what was committed).</summary>
    public required IReadOnlyList<(ulong Start, ulong End)> NativeHeapRanges { get; init; }

    public static bool IsGcFreeRegion(NativeHeapKind kind) => kind is NativeHeapKind.GCFreeRegion or NativeHeapKind.GCFreeGlobalHugeRegion
        or NativeHeapKind.GCFreeGlobalRegion or NativeHeapKind.GCFreeSohSegment or NativeHeapKind.GCFreeUohSegment;

    public static RuntimeMemoryMap Read(ClrRuntime runtime)
    {
        var gcRanges = new List<(ulong, ulong)>();
        long inUse = 0, frozen = 0, reserved = 0;
        foreach (ClrSegment segment in runtime.Heap.Segments)
        {
            MemoryRange committed = segment.CommittedMemory;
            inUse += (long)committed.Length;
            reserved += (long)segment.ReservedMemory.Length;
            if (segment.Kind == GCSegmentKind.Frozen)
                frozen += (long)committed.Length;
            if (committed.Length > 0)
                gcRanges.Add((committed.Start, committed.End));
        }

        var native = new List<(ulong, ulong)>();
        long freeRegions = 0;
        try
        {
            foreach (ClrNativeHeapInfo heap in runtime.EnumerateClrNativeHeaps())
            {
                if (heap.MemoryRange.Length == 0)
                    continue;
                if (IsGcFreeRegion(heap.Kind))
                {
                    freeRegions += (long)heap.MemoryRange.Length;
                    gcRanges.Add((heap.MemoryRange.Start, heap.MemoryRange.End));
                }
                else
                {
                    native.Add((heap.MemoryRange.Start, heap.MemoryRange.End));
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or NotSupportedException)
        {
            // Older runtimes do not describe their native heaps or free regions: in use is all we know.
        }
        return new RuntimeMemoryMap
        {
            Gc = new GcMemory(inUse, freeRegions, frozen, reserved),
            GcRanges = gcRanges,
            NativeHeapRanges = native,
        };
    }
}
