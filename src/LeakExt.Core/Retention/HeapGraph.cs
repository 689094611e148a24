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

    public ReadOnlySpan<int> Successors(int node) => Targets.AsSpan(EdgeStart[node], EdgeStart[node + 1] - EdgeStart[node]);

    public ReadOnlySpan<int> Predecessors(int node) => Referrers.AsSpan(ReferrerStart[node], ReferrerStart[node + 1] - ReferrerStart[node]);

    /// <summary>Builds both directions from per-node successor lists given in node order.</summary>
    public static HeapGraph FromEdges(int nodeCount, int[] edgeStart, int[] targets, CancellationToken cancellationToken = default)
    {
        int edges = edgeStart[nodeCount];
        var referrerStart = new int[nodeCount + 1];
        for (int e = 0; e < edges; e++)
        {
            referrerStart[targets[e] + 1]++;
            if ((e & 0xFFFFF) == 0xFFFFF)
                cancellationToken.ThrowIfCancellationRequested();
        }
        for (int n = 0; n < nodeCount; n++)
            referrerStart[n + 1] += referrerStart[n];
        var fill = (int[])referrerStart.Clone();
        var referrers = new int[edges];
        for (int n = 0; n < nodeCount; n++)
        {
            for (int e = edgeStart[n]; e < edgeStart[n + 1]; e++)
                referrers[fill[targets[e]]++] = n;
            if ((n & 0xFFFF) == 0xFFFF)
                cancellationToken.ThrowIfCancellationRequested();
        }
        return new HeapGraph { NodeCount = nodeCount, EdgeStart = edgeStart, Targets = targets, ReferrerStart = referrerStart, Referrers = referrers };
    }

    /// <summary>Reads every object's references once (object order), adds the hidden edges, then inverts them.</summary>
    public static HeapGraph Build<TReader>(HeapIndex index, TReader reader, HiddenEdges hidden, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
        where TReader : IReferenceReader
    {
        int n = index.ObjectCount;
        var edgeStart = new int[n + 1];
        var targets = new List<int[]>();
        int[] chunk = new int[1 << 20];
        int inChunk = 0;
        long total = 0;
        var buffer = new ReferenceBuffer();
        for (int s = 0; s < index.Segments.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var collector = new Collector<TReader>(index, reader, buffer, edgeStart, s, hidden, cancellationToken);
            index.ForEachInSegment(s, ref collector);
            foreach (int target in collector.Found)
            {
                if (inChunk == chunk.Length)
                {
                    targets.Add(chunk);
                    chunk = new int[1 << 20];
                    inChunk = 0;
                }
                chunk[inChunk++] = target;
            }
            total += collector.Found.Count;
            progress?.Report(new WalkProgress("building the reference graph", s + 1, index.Segments.Length));
        }
        if (total > Array.MaxLength)
            throw new LeakExtException("the heap has more references than LeakExt can hold (2^31).");

        // edgeStart holds per-node counts at [node + 1]; turn them into offsets.
        for (int i = 0; i < n; i++)
            edgeStart[i + 1] += edgeStart[i];
        var all = new int[total];
        int at = 0;
        foreach (int[] full in targets)
        {
            Array.Copy(full, 0, all, at, full.Length);
            at += full.Length;
        }
        Array.Copy(chunk, 0, all, at, inChunk);
        progress?.Report(new WalkProgress("inverting the reference graph", 0, n));
        return FromEdges(n, edgeStart, all, cancellationToken);
    }

    private struct Collector<TReader>(HeapIndex index, TReader reader, ReferenceBuffer buffer, int[] counts, int segment, HiddenEdges hidden,
        CancellationToken cancellationToken) : IObjectVisitor
        where TReader : IReferenceReader
    {
        public readonly List<int> Found = new();

        public void Visit(int node, ulong address, bool marked)
        {
            // A segment can hold millions of objects: Ctrl-C is checked per object (one volatile read).
            cancellationToken.ThrowIfCancellationRequested();
            int found = reader.Read(address, segment, buffer);
            int kept = 0;
            for (int i = 0; i < found; i++)
            {
                int target = index.IndexOf(buffer.Targets[i]);
                if (target < 0)
                    continue;
                Found.Add(target);
                kept++;
            }
            if (hidden.Count > 0)
            {
                (int start, int count) = hidden.From(address);
                for (int e = start; e < start + count; e++)
                {
                    int target = index.IndexOf(hidden.Targets[e]);
                    if (target < 0)
                        continue;
                    Found.Add(target);
                    kept++;
                }
            }
            counts[node + 1] = kept;
        }
    }
}
