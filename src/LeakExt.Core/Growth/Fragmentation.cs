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

    public static FragmentationReport Analyze(LiveHeap heap, int top, CancellationToken cancellationToken = default)
    {
        HeapIndex index = heap.Index;
        (Walker visitor, List<FreeBySegment> segments) = Walk(heap, Math.Max(top, LargestBlocksSummarized), cancellationToken);

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
            visitor.Largest.Blocks(index).Take(top).ToArray(),
            visitor.Pinned.Count, pinned);
    }

    /// <summary>Pinned objects, the free bytes right before them, and how many of the largest free blocks end at one.</summary>
    public static PinningSummary Summarize(LiveHeap heap, CancellationToken cancellationToken = default)
    {
        (Walker visitor, _) = Walk(heap, LargestBlocksSummarized, cancellationToken);
        long freeBeforePinned = 0;
        foreach (var pinned in visitor.Pinned)
            freeBeforePinned += pinned.FreeBefore;
        FreeBlock[] largest = visitor.Largest.Blocks(heap.Index).ToArray();
        return new PinningSummary(visitor.Pinned.Count, freeBeforePinned, largest.Length, largest.Count(b => b.NextPinned));
    }

    /// <summary>
    /// One pass over the index, a thread per run of segments (each segment's state is its own):
    /// free space per generation and segment, the largest free blocks and the pinned objects.
    /// </summary>
    private static (Walker Visitor, List<FreeBySegment> Segments) Walk(LiveHeap heap, int largest, CancellationToken cancellationToken)
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
        int[] pinnedNodes = pinnedBy.Keys.Order().ToArray();

        (int First, int Count)[] runs = FastHeapWalker.Partition(index.Segments, Parallelism.Workers);
        var parts = new Walker[runs.Length];
        var segments = new FreeBySegment[index.Segments.Length];
        Parallelism.For(runs.Length, cancellationToken, r =>
        {
            var visitor = new Walker(index, pinnedBy, pinnedNodes, largest);
            for (int s = runs[r].First; s < runs[r].First + runs[r].Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                HeapSegmentInfo segment = index.Segments[s];
                visitor.Begin(segment);
                index.ForEachInSegment(s, ref visitor, heap.Marks.MarkBits);
                visitor.End();
                long length = (long)(segment.End - segment.Start);
                segments[s] = new FreeBySegment(segment.Start, segment.End, HeapGenerations.Name(segment.GenerationOf(segment.Start)), visitor.SegmentFree,
                    visitor.SegmentFreeBlocks, Percent(visitor.SegmentFree, length), visitor.SegmentPinned);
            }
            parts[r] = visitor;
        });
        var all = new Walker(index, pinnedBy, pinnedNodes, largest);
        foreach (Walker part in parts)
            all.Add(part);
        return (all, segments.Where(s => s is not null).ToList());
    }

    private static double Percent(long part, long whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 2);

    /// <summary>
    /// The <c>capacity</c> largest free blocks (ties: lowest address first), as (size, address, the
    /// next object's index, whether it is pinned): a min-heap, so each block costs O(log capacity)
    /// and records are made only for the winners.
    /// </summary>
    private sealed class LargestBlocks(int capacity)
    {
        private readonly PriorityQueue<(long Size, ulong Address, int Next, bool NextPinned, string Generation), (long, ulong)> _heap =
            new(Comparer<(long Size, ulong Address)>.Create((a, b) => a.Size != b.Size ? a.Size.CompareTo(b.Size) : b.Address.CompareTo(a.Address)));

        public void Offer(long size, ulong address, int next, bool nextPinned, string generation)
        {
            if (_heap.Count == capacity && _heap.TryPeek(out _, out (long Size, ulong Address) least)
                && (size < least.Size || (size == least.Size && address > least.Address)))
                return;
            _heap.Enqueue((size, address, next, nextPinned, generation), (size, address));
            if (_heap.Count > capacity)
                _heap.Dequeue();
        }

        public void AddAll(LargestBlocks other)
        {
            foreach (((long size, ulong address, int next, bool pinned, string generation), _) in other._heap.UnorderedItems)
                Offer(size, address, next, pinned, generation);
        }

        public IEnumerable<FreeBlock> Blocks(HeapIndex index) =>
            _heap.UnorderedItems.Select(e => e.Element).OrderByDescending(b => b.Size).ThenBy(b => b.Address)
                .Select(b => new FreeBlock(b.Address, b.Size, b.Generation, index.AddressOf(b.Next),
                    SnapshotBuilder.TypeName(index.Types[index.TypeIds[b.Next]]), b.NextPinned));
    }

    private struct Walker(HeapIndex index, Dictionary<int, string> pinnedBy, int[] pinnedNodes, int largest) : IObjectVisitor
    {
        public readonly long[] GenerationFree = new long[HeapGenerations.Count];
        public readonly long[] GenerationBytes = new long[HeapGenerations.Count];
        public readonly LargestBlocks Largest = new(largest);
        public readonly List<(int Node, string How, string Generation, long FreeBefore)> Pinned = new();
        public long SegmentFree, SegmentFreeBlocks;
        public int SegmentPinned;
        private HeapSegmentInfo _segment = null!;
        private bool _pinnedSegment;
        private long _pendingSize;
        private ulong _pendingAddress;
        private long _freeBefore;
        /// <summary>The next pinned node at or after the objects visited so far (objects come in index order).</summary>
        private int _nextPinned;
        /// <summary>The segment's next free block (the index keeps them apart from its objects), and the end of its run.</summary>
        private int _nextFree, _freeEnd;

        public void Begin(HeapSegmentInfo segment)
        {
            _segment = segment;
            _pinnedSegment = segment.Kind == GCSegmentKind.Pinned;
            SegmentFree = SegmentFreeBlocks = 0;
            SegmentPinned = 0;
            _pendingSize = 0;
            _freeBefore = 0;
            int first = Array.BinarySearch(pinnedNodes, segment.FirstObject);
            _nextPinned = first >= 0 ? first : ~first;
            (_nextFree, _freeEnd) = (segment.FirstFree, segment.FirstFree + segment.FreeCount);
        }

        /// <summary>The segment's free blocks after its last object.</summary>
        public void End() => FreeBlocksBefore(ulong.MaxValue);

        /// <summary>The free blocks that come before <paramref name="address"/>, in order.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void FreeBlocksBefore(ulong address)
        {
            for (; _nextFree < _freeEnd && index.FreeStarts[_nextFree] < address; _nextFree++)
            {
                ulong start = index.FreeStarts[_nextFree];
                long size = (long)index.FreeSizes[_nextFree];
                int generation = (int)_segment.GenerationOf(start);
                GenerationBytes[generation] += size;
                GenerationFree[generation] += size;
                SegmentFree += size;
                SegmentFreeBlocks++;
                _freeBefore += size;
                _pendingSize = size;
                _pendingAddress = start;
            }
        }

        public readonly void Add(Walker other)
        {
            for (int g = 0; g < HeapGenerations.Count; g++)
            {
                GenerationFree[g] += other.GenerationFree[g];
                GenerationBytes[g] += other.GenerationBytes[g];
            }
            Largest.AddAll(other.Largest);
            Pinned.AddRange(other.Pinned);
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Visit(int node, ulong address, bool live)
        {
            if (_nextFree < _freeEnd)
                FreeBlocksBefore(address);
            long size = (long)index.SizeOf(node);
            int generation = (int)_segment.GenerationOf(address);
            GenerationBytes[generation] += size;
            bool handlePinned = false;
            while (_nextPinned < pinnedNodes.Length && pinnedNodes[_nextPinned] < node)
                _nextPinned++;
            if (_nextPinned < pinnedNodes.Length && pinnedNodes[_nextPinned] == node)
                handlePinned = true;
            bool pinned = live && (handlePinned || _pinnedSegment);
            if (_pendingSize > 0)
            {
                Largest.Offer(_pendingSize, _pendingAddress, node, pinned, HeapGenerations.Names[(int)_segment.GenerationOf(_pendingAddress)]);
                _pendingSize = 0;
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
    }
}
