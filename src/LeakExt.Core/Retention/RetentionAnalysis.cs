using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// Everything retention commands need about one heap: the marked heap with parents and holders,
/// the reference graph, and — computed on first use — the dominator tree with retained sizes.
/// Cached in the target's session; dropped when a live target runs.
/// Layout beyond the graph: Idom (4 B per object) and Retained (8 B per object).
/// </summary>
internal sealed class RetentionAnalysis
{
    private Dominators.Tree? _dominators;
    private long[]? _retained;

    public required LiveHeap Heap { get; init; }
    public required HeapGraph Graph { get; init; }

    public RetentionResult Retention => Heap.Retention!;
    public HeapIndex Index => Heap.Index;

    public bool IsLive(int node) => Retention.Holder(node) >= 0;

    /// <summary>Objects that are roots (the first object of each root path).</summary>
    public List<int> RootNodes()
    {
        var roots = new List<int>();
        for (int i = 0; i < Index.ObjectCount; i++)
            if (RetentionResult.IsRoot(Retention.Parent(i)))
                roots.Add(i);
        return roots;
    }

    public Dominators.Tree DominatorTree(CancellationToken cancellationToken)
    {
        if (_dominators is not null)
            return _dominators;
        RetentionResult retention = Retention;
        HeapGraph graph = Graph;
        var dependents = DependentEdges();
        _dominators = Dominators.Compute(
            Index.ObjectCount,
            node => dependents.TryGetValue(node, out int[]? extra) ? graph.Successors(node).ToArray().Concat(extra).ToArray() : graph.Successors(node),
            node => dependents.TryGetValue(-node - 1, out int[]? extra) ? graph.Predecessors(node).ToArray().Concat(extra).ToArray() : graph.Predecessors(node),
            RootNodes(),
            node => RetentionResult.IsRoot(retention.Parent(node)),
            cancellationToken);
        return _dominators;
    }

    /// <summary>Dependent handles as extra edges: key node → secondaries; key -(node+1) → primaries of a secondary.</summary>
    private Dictionary<int, int[]> DependentEdges()
    {
        var edges = new Dictionary<int, List<int>>();
        foreach ((ulong primary, ulong secondary) in Heap.Roots.DependentHandles)
        {
            int p = Index.IndexOf(primary), s = Index.IndexOf(secondary);
            if (p < 0 || s < 0)
                continue;
            (edges.TryGetValue(p, out var forward) ? forward : edges[p] = new()).Add(s);
            (edges.TryGetValue(-s - 1, out var backward) ? backward : edges[-s - 1] = new()).Add(p);
        }
        return edges.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    /// <summary>Retained bytes per object: its own size plus everything it dominates.</summary>
    public long[] RetainedSizes(CancellationToken cancellationToken)
    {
        if (_retained is not null)
            return _retained;
        Dominators.Tree tree = DominatorTree(cancellationToken);
        var retained = new long[Index.ObjectCount];
        foreach (int node in tree.Preorder)
            retained[node] = (long)Index.SizeOf(node);
        for (int i = tree.Preorder.Length - 1; i >= 0; i--)
        {
            int node = tree.Preorder[i];
            int dominator = tree.Idom[node];
            if (dominator >= 0)
                retained[dominator] += retained[node];
        }
        return _retained = retained;
    }

    /// <summary>
    /// Exactly what would be freed if every object of <paramref name="set"/> went away: a mark from
    /// the roots that does not pass through the set; whatever live object it misses is retained.
    /// </summary>
    public (long Count, long Bytes) RetainedBySet(IReadOnlyCollection<int> set, CancellationToken cancellationToken)
    {
        var blocked = new Bitset(Index.ObjectCount);
        foreach (int node in set)
            blocked.TrySet(node);
        var reached = new Bitset(Index.ObjectCount);
        var stack = new Stack<int>();
        foreach (int root in RootNodes())
            if (!blocked[root] && reached.TrySet(root))
                stack.Push(root);
        var dependents = DependentEdges();
        long steps = 0;
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            if ((++steps & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            foreach (int next in Graph.Successors(node))
                if (!blocked[next] && reached.TrySet(next))
                    stack.Push(next);
            if (dependents.TryGetValue(node, out int[]? secondaries))
                foreach (int next in secondaries)
                    if (!blocked[next] && reached.TrySet(next))
                        stack.Push(next);
        }
        long count = 0, bytes = 0;
        for (int i = 0; i < Index.ObjectCount; i++)
        {
            if (IsLive(i) && !reached[i])
            {
                count++;
                bytes += (long)Index.SizeOf(i);
            }
        }
        return (count, bytes);
    }
}
