using System.Numerics;
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
            .Select(p => new PinnedObject(index.AddressOf(p.Node), index.Types.NameOf(index.TypeIds[p.Node]), (long)index.SizeOf(p.Node),
                p.How, p.Generation, p.FreeBefore, heap.Retention?.HolderText(p.Node) ?? "?"))
            .ToArray();
        return new FragmentationReport(free, total, Percent(free, total), generations,
            segments.Where(s => s.FreeBytes > 0).OrderByDescending(s => s.FreeBytes).ThenBy(s => s.Start).Take(top).ToArray(),
            visitor.Largest.Blocks(index).Take(top).ToArray(),
            visitor.Pinned.Count, pinned);
    }

    /// <summary>
    /// Pinned objects, the free bytes right before them, and how many of the largest free blocks end
    /// at one: what <see cref="Analyze"/>'s pass over every object finds, read instead from the index's
    /// free-block lists and the mark bits (a snapshot needs only these four numbers). Costs one step
    /// per free block and per live object of the pinned heap, and per pinned object a scan back to the
    /// live object before it.
    /// </summary>
    public static PinningSummary Summarize(LiveHeap heap, CancellationToken cancellationToken = default)
    {
        HeapIndex index = heap.Index;
        ulong[] marks = heap.Marks.MarkBits;
        Dictionary<int, string> pinnedBy = PinnedByHandles(heap);
        long pinnedCount = 0, freeBeforePinned = 0;
        foreach (int node in pinnedBy.Keys)
        {
            ulong address = index.AddressOf(node);
            int s = index.FindSegment(address);
            // The pinned heap's live objects are counted below, each once.
            if (index.Segments[s].Kind == GCSegmentKind.Pinned || !IsLive(index, marks, address))
                continue;
            pinnedCount++;
            freeBeforePinned += FreeBefore(index, marks, s, address);
        }
        var pinnedHeap = new PinnedHeapVisitor(index, marks);
        var largest = new List<(long Size, ulong Address, bool NextPinned)>(LargestBlocksSummarized + 1);
        for (int s = 0; s < index.Segments.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HeapSegmentInfo segment = index.Segments[s];
            if (segment.Kind == GCSegmentKind.Pinned)
            {
                pinnedHeap.Segment = s;
                index.ForEachInSegment(s, ref pinnedHeap, marks);
            }
            OfferFreeBlocks(index, marks, pinnedBy, s, largest);
        }
        return new PinningSummary(pinnedCount + pinnedHeap.Count, freeBeforePinned + pinnedHeap.FreeBefore, largest.Count, largest.Count(b => b.NextPinned));
    }

    /// <summary>The pinning summary's hot loops, as a snapshot runs them (<see cref="Heap.HotLoops"/>).</summary>
    internal static IEnumerable<System.Reflection.MethodBase> HotLoops() =>
        Heap.HotLoops.MarkedIn(typeof(PinnedHeapVisitor)).Append(Heap.HotLoops.ForEachInSegment<PinnedHeapVisitor>());

    /// <summary>The live objects of a pinned-heap segment, and the free bytes before each.</summary>
    private struct PinnedHeapVisitor(HeapIndex index, ulong[] marks) : IObjectVisitor
    {
        public int Segment;
        public long Count, FreeBefore;

        public void Visit(int node, ulong address, bool live)
        {
            if (!live)
                return;
            Count++;
            FreeBefore += FragmentationAnalyzer.FreeBefore(index, marks, Segment, address);
        }
    }

    /// <summary>
    /// Offers the free blocks of segment <paramref name="s"/> that the pass would: each the last free
    /// block before an object of the segment, not empty, ranked by size (then lowest address) among the
    /// <see cref="LargestBlocksSummarized"/> largest so far.
    /// </summary>
    private static void OfferFreeBlocks(HeapIndex index, ulong[] marks, Dictionary<int, string> pinnedBy, int s, List<(long Size, ulong Address, bool NextPinned)> largest)
    {
        HeapSegmentInfo segment = index.Segments[s];
        int end = segment.FirstFree + segment.FreeCount;
        for (int f = segment.FirstFree; f < end; f++)
        {
            long size = (long)index.FreeSizes[f];
            ulong start = index.FreeStarts[f];
            if (size <= 0 || (largest.Count == LargestBlocksSummarized && Ranks(largest[^1], size, start)))
                continue;
            // No object can start inside the block: the next one is at or after its end.
            if (!NextObject(index, segment, start + (ulong)size, out long word, out ulong bit, out ulong next)
                || (f + 1 < end && index.FreeStarts[f + 1] < next))
                continue;
            int node = index.IndexAt(word, bit);
            bool nextPinned = (marks[word] & bit) != 0 && (segment.Kind == GCSegmentKind.Pinned || pinnedBy.ContainsKey(node));
            int at = 0;
            while (at < largest.Count && Ranks(largest[at], size, start))
                at++;
            largest.Insert(at, (size, start, nextPinned));
            if (largest.Count > LargestBlocksSummarized)
                largest.RemoveAt(largest.Count - 1);
        }
    }

    /// <summary>Whether <paramref name="block"/> ranks before a free block of this size and start (larger first, then lower address).</summary>
    private static bool Ranks((long Size, ulong Address, bool NextPinned) block, long size, ulong start) =>
        block.Size > size || (block.Size == size && block.Address < start);

    /// <summary>The first object of the segment starting at or after <paramref name="from"/>: its start bit and address.</summary>
    private static bool NextObject(HeapIndex index, HeapSegmentInfo segment, ulong from, out long word, out ulong bit, out ulong address)
    {
        (word, bit, address) = (0, 0, 0);
        if (from >= segment.End)
            return false;
        ulong slot = (from - segment.Start) >> 3;
        long w = segment.FirstWord + (long)(slot >> 6), last = segment.FirstWord + segment.WordCount;
        ulong bits = index.StartBits[w] & ~((1UL << (int)(slot & 63)) - 1);
        while (bits == 0)
        {
            if (++w >= last)
                return false;
            bits = index.StartBits[w];
        }
        int b = BitOperations.TrailingZeroCount(bits);
        (word, bit) = (w, 1UL << b);
        address = segment.Start + (ulong)(((w - segment.FirstWord) << 6) + b) * 8;
        return true;
    }

    private static bool IsLive(HeapIndex index, ulong[] marks, ulong address) =>
        index.TryFindStartBit(address, out long word, out ulong bit) && (marks[word] & bit) != 0;

    /// <summary>
    /// The free bytes between the live object before <paramref name="address"/> in segment
    /// <paramref name="s"/> (or the segment's start) and the object at <paramref name="address"/>.
    /// </summary>
    private static long FreeBefore(HeapIndex index, ulong[] marks, int s, ulong address)
    {
        HeapSegmentInfo segment = index.Segments[s];
        ulong slot = (address - segment.Start) >> 3;
        long w = segment.FirstWord + (long)(slot >> 6);
        ulong bits = marks[w] & ((1UL << (int)(slot & 63)) - 1);
        while (bits == 0 && --w >= segment.FirstWord)
            bits = marks[w];
        ulong after = bits == 0 ? 0 : segment.Start + (ulong)(((w - segment.FirstWord) << 6) + 63 - BitOperations.LeadingZeroCount(bits)) * 8;
        long free = 0;
        int end = segment.FirstFree + segment.FreeCount;
        int f = FirstFreeAfter(index.FreeStarts, segment.FirstFree, end, after);
        for (; f < end && index.FreeStarts[f] < address; f++)
            free += (long)index.FreeSizes[f];
        return free;
    }

    /// <summary>The first of the sorted free starts in [<paramref name="from"/>, <paramref name="end"/>) above <paramref name="address"/>.</summary>
    private static int FirstFreeAfter(ulong[] starts, int from, int end, ulong address)
    {
        int lo = from, hi = end;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= address)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>The live-or-dead targets of pinned and async-pinned handles, by node, with the kind that pins each (the first root's).</summary>
    private static Dictionary<int, string> PinnedByHandles(LiveHeap heap)
    {
        var pinnedBy = new Dictionary<int, string>();
        RootSet roots = heap.Roots;
        for (int r = 0; r < roots.Objects.Length; r++)
        {
            if (roots.Kinds[r] is not (RootKind.PinnedHandle or RootKind.AsyncPinnedHandle))
                continue;
            int node = heap.Index.IndexOf(roots.Objects[r]);
            if (node >= 0)
                pinnedBy.TryAdd(node, RootKinds.Name(roots.Kinds[r]));
        }
        return pinnedBy;
    }

    /// <summary>
    /// One pass over the index, a thread per run of segments (each segment's state is its own):
    /// free space per generation and segment, the largest free blocks and the pinned objects.
    /// </summary>
    private static (Walker Visitor, List<FreeBySegment> Segments) Walk(LiveHeap heap, int largest, CancellationToken cancellationToken)
    {
        HeapIndex index = heap.Index;
        Dictionary<int, string> pinnedBy = PinnedByHandles(heap);
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
                    index.Types.NameOf(index.TypeIds[b.Next]), b.NextPinned));
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
