using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Growth;

public sealed record FreeByGeneration(string Generation, long FreeBytes, long ObjectBytes, double FreePercent);

public sealed record FreeBySegment(ulong Start, ulong End, string Generation, long FreeBytes, long FreeBlocks, double FreePercent, int PinnedObjects);

/// <summary>A free block, and the object right after it (often what kept the GC from closing the gap).</summary>
public sealed record FreeBlock(ulong Address, long Size, string Generation, ulong NextAddress, string? NextType, bool NextPinned);

/// <summary>A pinned object and the free space just before it.</summary>
public sealed record PinnedObject(ulong Address, string Type, long Size, string PinnedBy, string Generation, long FreeBefore, string Holder);

public sealed record FragmentationReport(
    long FreeBytes, long HeapBytes, double FreePercent, IReadOnlyList<FreeByGeneration> Generations, IReadOnlyList<FreeBySegment> Segments,
    IReadOnlyList<FreeBlock> LargestFree, int PinnedCount, IReadOnlyList<PinnedObject> Pinned);

/// <summary>
/// Where the free space inside the GC heap is, and which pinned objects hold it open: one pass over
/// the index, keeping per segment the free total and, per object, the free block just before it.
/// Pinned: targets of pinned and async-pinned handles, and every live object of the pinned heap.
/// </summary>
internal static class FragmentationAnalyzer
{
    /// <summary>The free blocks whose neighbours count in a snapshot's <see cref="PinningSummary"/>.</summary>
    public const int LargestBlocksSummarized = 10;

    public static FragmentationReport Analyze(LiveHeap heap, int top)
    {
        HeapIndex index = heap.Index;
        (Walker visitor, List<FreeBySegment> segments) = Walk(heap);

        var generations = new List<FreeByGeneration>();
        for (int g = 0; g < HeapGenerations.Count; g++)
            generations.Add(new FreeByGeneration(HeapGenerations.Names[g], visitor.GenerationFree[g], visitor.GenerationBytes[g],
                Percent(visitor.GenerationFree[g], visitor.GenerationBytes[g])));

        long free = visitor.GenerationFree.Sum(), total = visitor.GenerationBytes.Sum();
        var pinned = visitor.Pinned
            .OrderByDescending(p => p.FreeBefore).ThenBy(p => p.Node).Take(top)
            .Select(p => new PinnedObject(index.AddressOf(p.Node), SnapshotBuilder.TypeName(index.Types[index.TypeIds[p.Node]]), (long)index.SizeOf(p.Node),
                p.How, p.Generation, p.FreeBefore, heap.Retention?.HolderText(p.Node) ?? "?"))
            .ToArray();
        return new FragmentationReport(free, total, Percent(free, total), generations,
            segments.Where(s => s.FreeBytes > 0).OrderByDescending(s => s.FreeBytes).ThenBy(s => s.Start).Take(top).ToArray(),
            visitor.Largest.OrderByDescending(b => b.Size).ThenBy(b => b.Address).Take(top).ToArray(),
            visitor.Pinned.Count, pinned);
    }

    /// <summary>Pinned objects, the free bytes right before them, and how many of the largest free blocks end at one.</summary>
    public static PinningSummary Summarize(LiveHeap heap)
    {
        (Walker visitor, _) = Walk(heap);
        long freeBeforePinned = 0;
        foreach (var pinned in visitor.Pinned)
            freeBeforePinned += pinned.FreeBefore;
        FreeBlock[] largest = visitor.Largest.OrderByDescending(b => b.Size).ThenBy(b => b.Address).Take(LargestBlocksSummarized).ToArray();
        return new PinningSummary(visitor.Pinned.Count, freeBeforePinned, largest.Length, largest.Count(b => b.NextPinned));
    }

    /// <summary>One pass over the index: free space per generation and segment, the free blocks and the pinned objects.</summary>
    private static (Walker Visitor, List<FreeBySegment> Segments) Walk(LiveHeap heap)
    {
        HeapIndex index = heap.Index;
        var pinnedBy = new Dictionary<int, string>();
        RootSet roots = heap.Roots;
        for (int r = 0; r < roots.Objects.Length; r++)
        {
            if (roots.Kinds[r] is not (RootKind.PinnedHandle or RootKind.AsyncPinnedHandle))
                continue;
            int node = index.IndexOf(roots.Objects[r]);
            if (node >= 0)
                pinnedBy.TryAdd(node, RootKinds.Name(roots.Kinds[r]));
        }

        var visitor = new Walker(index, pinnedBy);
        var segments = new List<FreeBySegment>();
        for (int s = 0; s < index.Segments.Length; s++)
        {
            HeapSegmentInfo segment = index.Segments[s];
            visitor.Begin(segment);
            index.ForEachInSegment(s, ref visitor, heap.Marks.MarkBits);
            long length = (long)(segment.End - segment.Start);
            segments.Add(new FreeBySegment(segment.Start, segment.End, HeapGenerations.Name(segment.GenerationOf(segment.Start)), visitor.SegmentFree,
                visitor.SegmentFreeBlocks, Percent(visitor.SegmentFree, length), visitor.SegmentPinned));
        }
        return (visitor, segments);
    }

    private static double Percent(long part, long whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2);

    private struct Walker(HeapIndex index, Dictionary<int, string> pinnedBy) : IObjectVisitor
    {
        public readonly long[] GenerationFree = new long[HeapGenerations.Count];
        public readonly long[] GenerationBytes = new long[HeapGenerations.Count];
        public readonly List<FreeBlock> Largest = new();
        public readonly List<(int Node, string How, string Generation, long FreeBefore)> Pinned = new();
        public long SegmentFree, SegmentFreeBlocks;
        public int SegmentPinned;
        private HeapSegmentInfo _segment = null!;
        private (ulong Address, long Size, string Generation)? _pendingFree;
        private long _freeBefore;

        public void Begin(HeapSegmentInfo segment)
        {
            _segment = segment;
            SegmentFree = SegmentFreeBlocks = 0;
            SegmentPinned = 0;
            _pendingFree = null;
            _freeBefore = 0;
        }

        public void Visit(int node, ulong address, bool live)
        {
            long size = (long)index.SizeOf(node);
            int generation = (int)_segment.GenerationOf(address);
            GenerationBytes[generation] += size;
            if (index.Types.Layouts[index.TypeIds[node]].IsFree)
            {
                GenerationFree[generation] += size;
                SegmentFree += size;
                SegmentFreeBlocks++;
                _freeBefore += size;
                _pendingFree = (address, size, HeapGenerations.Names[generation]);
                return;
            }
            bool pinned = live && (pinnedBy.ContainsKey(node) || _segment.Kind == GCSegmentKind.Pinned);
            if (_pendingFree is { } block)
            {
                Largest.Add(new FreeBlock(block.Address, block.Size, block.Generation, address,
                    SnapshotBuilder.TypeName(index.Types[index.TypeIds[node]]), pinned));
                if (Largest.Count > 4096)
                    Trim();
                _pendingFree = null;
            }
            if (pinned)
            {
                SegmentPinned++;
                Pinned.Add((node, pinnedBy.TryGetValue(node, out string? how) ? how : "pinned object heap", HeapGenerations.Names[generation], _freeBefore));
            }
            // Free space counts as "before" an object only when nothing live sits between them.
            if (live)
                _freeBefore = 0;
        }

        private readonly void Trim()
        {
            Largest.Sort((a, b) => b.Size.CompareTo(a.Size));
            Largest.RemoveRange(1024, Largest.Count - 1024);
        }
    }
}
