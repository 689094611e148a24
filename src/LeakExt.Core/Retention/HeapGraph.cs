using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The references between all objects of the heap (live and dead), by dense object index, with
/// the hidden edges (<see cref="HiddenEdges"/>: dependent handles, collectible statics) among them.
/// Layout, for N objects and E references: forward CSR — EdgeStart (N+1 ints) and Targets (E ints);
/// reverse CSR built by one counting pass — ReferrerStart (N+1 ints) and Referrers (E ints).
/// 16 B per object plus 8 B per reference. Built once per target and cached in its session.
/// </summary>
internal sealed class HeapGraph
{
    public required int NodeCount { get; init; }
    public required int[] EdgeStart { get; init; }
    public required int[] Targets { get; init; }
    public required int[] ReferrerStart { get; init; }
    public required int[] Referrers { get; init; }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Successors(int node) => Targets.AsSpan(EdgeStart[node], EdgeStart[node + 1] - EdgeStart[node]);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Predecessors(int node) => Referrers.AsSpan(ReferrerStart[node], ReferrerStart[node + 1] - ReferrerStart[node]);

    /// <summary>Builds both directions from per-node successor lists given in node order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static HeapGraph FromEdges(int nodeCount, int[] edgeStart, int[] targets, CancellationToken cancellationToken = default)
    {
        int edges = edgeStart[nodeCount];
        var referrerStart = PageAdvice.Populated(new int[nodeCount + 1]);
        for (int e = 0; e < edges; e++)
        {
            referrerStart[targets[e] + 1]++;
            if ((e & 0xFFFFF) == 0xFFFFF)
                cancellationToken.ThrowIfCancellationRequested();
        }
        for (int n = 0; n < nodeCount; n++)
            referrerStart[n + 1] += referrerStart[n];
        // Fill with referrerStart[t] as t's cursor: it ends at t's end, which is t + 1's start; one
        // shift puts the starts back (no second array of cursors).
        var referrers = PageAdvice.Populated(new int[edges]);
        for (int n = 0; n < nodeCount; n++)
        {
            for (int e = edgeStart[n]; e < edgeStart[n + 1]; e++)
                referrers[referrerStart[targets[e]]++] = n;
            if ((n & 0xFFFF) == 0xFFFF)
                cancellationToken.ThrowIfCancellationRequested();
        }
        for (int t = nodeCount; t > 0; t--)
            referrerStart[t] = referrerStart[t - 1];
        referrerStart[0] = 0;
        return new HeapGraph { NodeCount = nodeCount, EdgeStart = edgeStart, Targets = targets, ReferrerStart = referrerStart, Referrers = referrers };
    }

    /// <summary>
    /// Reads every object's references once, in object order, adds the hidden edges, then inverts them.
    /// With <paramref name="readers"/>, contiguous runs of segments are read by a thread each (a reader
    /// per thread), each into its own blocks of targets, joined in run order: the same graph as one thread's.
    /// </summary>
    public static HeapGraph Build<TReader>(HeapIndex index, TReader reader, HiddenEdges hidden, IProgress<WalkProgress>? progress, CancellationToken cancellationToken,
        Func<TReader>? readers = null)
        where TReader : IReferenceReader
    {
        PageAdvice.AdviseHugePagesForGcHeap();
        int n = index.ObjectCount;
        var edgeStart = PageAdvice.Populated(new int[n + 1]);
        (int First, int Count)[] runs = readers is null ? [(0, index.Segments.Length)] : FastHeapWalker.Partition(index.Segments, Parallelism.Workers);
        var found = new TargetBlocks[runs.Length];
        long segmentsDone = 0;
        Parallelism.For(runs.Length, cancellationToken, r =>
        {
            var blocks = new TargetBlocks();
            var buffer = new ReferenceBuffer();
            TReader own = readers is null ? reader : readers();
            for (int s = runs[r].First; s < runs[r].First + runs[r].Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var collector = new Collector<TReader>(index, own, buffer, edgeStart, s, hidden, blocks, cancellationToken);
                index.ForEachInSegment(s, ref collector);
                // Checked as it grows, not after gigabytes of references are collected.
                if (blocks.Count > Array.MaxLength)
                    throw new LeakExtException("the heap has more references than LeakExt can hold (2^31).");
                progress?.Report(new WalkProgress("building the reference graph", Interlocked.Increment(ref segmentsDone), index.Segments.Length));
            }
            found[r] = blocks;
        });
        long total = found.Sum(b => b.Count);
        if (total > Array.MaxLength)
            throw new LeakExtException("the heap has more references than LeakExt can hold (2^31).");

        // edgeStart holds per-node counts at [node + 1]; turn them into offsets.
        for (int i = 0; i < n; i++)
            edgeStart[i + 1] += edgeStart[i];
        var all = PageAdvice.Populated(new int[total]);
        long at = 0;
        foreach (TargetBlocks blocks in found)
        {
            blocks.CopyTo(all, at);
            at += blocks.Count;
        }
        progress?.Report(new WalkProgress("inverting the reference graph", 0, n));
        return FromEdges(n, edgeStart, all, cancellationToken);
    }

    /// <summary>One thread's reference targets in order, in blocks of 1 M (4 MiB): appended without copies, copied once into the graph.</summary>
    private sealed class TargetBlocks
    {
        private const int BlockSize = 1 << 20;
        private readonly List<int[]> _full = new();
        private int[] _current = PageAdvice.Populated(new int[BlockSize]);
        private int _used;

        public long Count => (long)_full.Count * BlockSize + _used;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(int target)
        {
            if (_used == BlockSize)
                NextBlock();
            _current[_used++] = target;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private void NextBlock()
        {
            _full.Add(_current);
            _current = PageAdvice.Populated(new int[BlockSize]);
            _used = 0;
        }

        public void CopyTo(int[] into, long at)
        {
            foreach (int[] block in _full)
            {
                Array.Copy(block, 0, into, at, BlockSize);
                at += BlockSize;
            }
            Array.Copy(_current, 0, into, at, _used);
        }
    }

    private readonly struct Collector<TReader>(HeapIndex index, TReader reader, ReferenceBuffer buffer, int[] counts, int segment, HiddenEdges hidden,
        TargetBlocks found, CancellationToken cancellationToken) : IObjectVisitor
        where TReader : IReferenceReader
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Visit(int node, ulong address, bool marked)
        {
            // A segment can hold millions of objects: Ctrl-C is checked per object (one volatile read).
            cancellationToken.ThrowIfCancellationRequested();
            int kept = 0;
            // A part at a time, so an array of millions of references needs no buffer as large.
            long resume = 0;
            do
            {
                int read = reader.ReadPart(address, segment, buffer, ref resume);
                for (int i = 0; i < read; i++)
                {
                    int target = index.IndexOf(buffer.Targets[i]);
                    if (target < 0)
                        continue;
                    found.Add(target);
                    kept++;
                }
            } while (resume >= 0);
            if (hidden.Count > 0)
            {
                (int start, int count) = hidden.From(address);
                for (int e = start; e < start + count; e++)
                {
                    int target = index.IndexOf(hidden.Targets[e]);
                    if (target < 0)
                        continue;
                    found.Add(target);
                    kept++;
                }
            }
            counts[node + 1] = kept;
        }
    }
}
