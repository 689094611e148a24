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
/// FirstObject/ObjectCount give its range of dense object indices; FirstWord its place in the start bitmap.
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
    public long FirstWord { get; set; }
    public long WordCount => (long)((End - Start + 511) / 512);

    public bool SkipsAllocationContexts => Kind is not (GCSegmentKind.Large or GCSegmentKind.Frozen);

    public HeapGeneration GenerationOf(ulong address) => Kind switch
    {
        GCSegmentKind.Generation0 => HeapGeneration.Gen0,
        GCSegmentKind.Generation1 => HeapGeneration.Gen1,
        GCSegmentKind.Generation2 => HeapGeneration.Gen2,
        GCSegmentKind.Large => HeapGeneration.Loh,
        GCSegmentKind.Pinned => HeapGeneration.Poh,
        GCSegmentKind.Frozen => HeapGeneration.Frozen,
        _ => Gen0.Contains(address) ? HeapGeneration.Gen0 : Gen1.Contains(address) ? HeapGeneration.Gen1 : HeapGeneration.Gen2,
    };

    public static HeapSegmentInfo[] FromHeap(ClrHeap heap)
    {
        var list = new List<HeapSegmentInfo>();
        foreach (ClrSegment segment in heap.Segments)
        {
            if (segment.End <= segment.Start)
                continue;
            list.Add(new HeapSegmentInfo
            {
                Start = segment.Start,
                End = segment.End,
                Kind = segment.Kind,
                Gen0 = segment.Generation0,
                Gen1 = segment.Generation1,
                CommittedBytes = segment.CommittedMemory.Length,
                ReservedBytes = segment.ReservedMemory.Length,
            });
        }
        list.Sort((a, b) => a.Start.CompareTo(b.Start));
        return list.ToArray();
    }
}
