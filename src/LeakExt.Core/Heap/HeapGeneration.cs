using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Where an object lives. Frozen objects (the non-GC heap) are never collected.</summary>
public enum HeapGeneration
{
    Gen0 = 0,
    Gen1 = 1,
    Gen2 = 2,
    Loh = 3,
    Poh = 4,
    Frozen = 5,
}

public static class HeapGenerations
{
    public const int Count = 6;

    public static readonly IReadOnlyList<string> Names = ["gen0", "gen1", "gen2", "loh", "poh", "frozen"];

    public static string Name(HeapGeneration generation) => Names[(int)generation];
}

/// <summary>
/// One GC segment (or region) with objects, as the walk sees it.
/// FirstObject/ObjectCount give its range of dense object indices, FirstFree/FreeCount its range in
/// the index's free-block table; FirstWord its place in the start bitmap.
/// </summary>
internal sealed class HeapSegmentInfo
{
    public required ulong Start { get; init; }
    public required ulong End { get; init; }
    public required GCSegmentKind Kind { get; init; }
    public required MemoryRange Gen0 { get; init; }
    public required MemoryRange Gen1 { get; init; }
    public ulong CommittedBytes { get; init; }
    public ulong ReservedBytes { get; init; }
    public int FirstObject { get; set; }
    public int ObjectCount { get; set; }
    public int FirstFree { get; set; }
    public int FreeCount { get; set; }
    public long FirstWord { get; set; }
    public long WordCount => (long)((End - Start + 511) / 512);

    public bool SkipsAllocationContexts => Kind is not (GCSegmentKind.Large or GCSegmentKind.Frozen);

    /// <summary>The small object heap, where the runtime puts no object of 85,000 bytes or more (unless GCLOHThreshold raised that).</summary>
    public bool IsSmallObjectHeap => Kind is GCSegmentKind.Generation0 or GCSegmentKind.Generation1 or GCSegmentKind.Generation2 or GCSegmentKind.Ephemeral;

    // Plain fields for the hot loop (no ClrMD calls per object): the fixed generation of a
    // region or non-ephemeral segment (-1 for an ephemeral segment), and the gen0/gen1 bounds.
    private int _fixedGeneration = -2;
    private ulong _gen0Start, _gen0End, _gen1Start, _gen1End;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public HeapGeneration GenerationOf(ulong address)
    {
        if (_fixedGeneration == -2)
            PrepareGenerations();
        if (_fixedGeneration >= 0)
            return (HeapGeneration)_fixedGeneration;
        return address - _gen0Start < _gen0End - _gen0Start ? HeapGeneration.Gen0
            : address - _gen1Start < _gen1End - _gen1Start ? HeapGeneration.Gen1
            : HeapGeneration.Gen2;
    }

    private void PrepareGenerations()
    {
        (_gen0Start, _gen0End, _gen1Start, _gen1End) = (Gen0.Start, Gen0.End, Gen1.Start, Gen1.End);
        _fixedGeneration = Kind switch
        {
            GCSegmentKind.Generation0 => (int)HeapGeneration.Gen0,
            GCSegmentKind.Generation1 => (int)HeapGeneration.Gen1,
            GCSegmentKind.Generation2 => (int)HeapGeneration.Gen2,
            GCSegmentKind.Large => (int)HeapGeneration.Loh,
            GCSegmentKind.Pinned => (int)HeapGeneration.Poh,
            GCSegmentKind.Frozen => (int)HeapGeneration.Frozen,
            _ => -1,
        };
    }

    /// <summary>
    /// The heap's segments with objects, sorted, as far as they can be trusted: an object range that
    /// runs past its committed memory is cut there (nothing beyond was ever written), and a segment
    /// that overlaps the one before it (corrupt GC bookkeeping) is left out, so no byte is walked twice.
    /// </summary>
    public static HeapSegmentInfo[] FromHeap(ClrHeap heap)
    {
        var list = new List<HeapSegmentInfo>();
        foreach (ClrSegment segment in heap.Segments)
        {
            ulong end = segment.End;
            MemoryRange committed = segment.CommittedMemory;
            if (committed.Length > 0 && committed.Start <= segment.Start && end > committed.End)
                end = committed.End;
            if (end <= segment.Start)
                continue;
            list.Add(new HeapSegmentInfo
            {
                Start = segment.Start,
                End = end,
                Kind = segment.Kind,
                Gen0 = segment.Generation0,
                Gen1 = segment.Generation1,
                CommittedBytes = committed.Length,
                ReservedBytes = segment.ReservedMemory.Length,
            });
        }
        list.Sort((a, b) => a.Start.CompareTo(b.Start));
        var kept = new List<HeapSegmentInfo>(list.Count);
        foreach (HeapSegmentInfo segment in list)
            if (kept.Count == 0 || segment.Start >= kept[^1].End)
                kept.Add(segment);
        return kept.ToArray();
    }
}
