using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// Everything retention commands need about one heap: the marked heap with parents and holders,
/// and — built on first use — the reference graph and the dominator tree with retained sizes.
/// rootpath needs neither: the marking's parents are its path, so it answers at once.
/// Cached in the target's session; dropped when a live target runs.
/// Layout beyond the graph: Idom (4 B per object) and Retained (8 B per object).
/// </summary>
internal sealed class RetentionAnalysis
{
    private Dominators.Tree? _dominators;
    private long[]? _retained;
    private HeapGraph? _graph;

    public required LiveHeap Heap { get; init; }

    /// <summary>Builds the reference graph of <see cref="Heap"/> (16 B per object + 8 B per reference); called once, on first use.</summary>
    public required Func<IProgress<WalkProgress>?, CancellationToken, HeapGraph> BuildGraph { get; init; }

    /// <summary>The references between all objects, both ways: built the first time a query needs referrers or successors.</summary>
    public HeapGraph Graph(CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null) =>
        _graph ??= BuildGraph(progress, cancellationToken);

    public RetentionResult Retention => Heap.Retention!;
    public HeapIndex Index => Heap.Index;

    public bool IsLive(int node) => Retention.Holder(node) >= 0;

    /// <summary>Objects that are roots themselves (<see cref="RetentionResult.RootNodes"/>), in index order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public List<int> RootNodes()
    {
        var roots = new List<int>();
        Bitset rootNodes = Retention.RootNodes;
        for (int i = 0; i < Index.ObjectCount; i++)
            if (rootNodes[i])
                roots.Add(i);
        return roots;
    }

    public bool IsRootNode(int node) => Retention.RootNodes[node];

    /// <summary>
    /// The dominator tree over the reference graph (hidden edges included), with every root object
    /// hanging from the virtual root: an object reachable from two roots is dominated by neither.
    /// </summary>
    public Dominators.Tree DominatorTree(CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        if (_dominators is not null)
            return _dominators;
        HeapGraph graph = Graph(cancellationToken, progress);
        _dominators = Dominators.Compute(Index.ObjectCount, graph, RootNodes(), Retention.RootNodes, cancellationToken, progress, Retention.Marks.LiveCount);
        return _dominators;
    }

    /// <summary>Retained bytes per object: its own size plus everything it dominates.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public long[] RetainedSizes(CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        if (_retained is not null)
            return _retained;
        Dominators.Tree tree = DominatorTree(cancellationToken, progress);
        var retained = PageAdvice.Populated(new long[Index.ObjectCount]);
        // Own sizes in index order (sequential reads), for the reached objects only.
        for (int node = 0; node < retained.Length; node++)
        {
            if ((node & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (tree.Idom[node] != Dominators.Unreached)
                retained[node] = (long)Index.SizeOf(node);
        }
        for (int i = tree.Preorder.Length - 1; i >= 0; i--)
        {
            if ((i & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public (long Count, long Bytes) RetainedBySet(IReadOnlyCollection<int> set, CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        HeapGraph graph = Graph(cancellationToken, progress);
        var blocked = new Bitset(Index.ObjectCount);
        foreach (int node in set)
            blocked.TrySet(node);
        var reached = new Bitset(Index.ObjectCount);
        var stack = new Stack<int>();
        foreach (int root in RootNodes())
            if (!blocked[root] && reached.TrySet(root))
                stack.Push(root);
        long steps = 0;
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            if ((++steps & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            foreach (int next in graph.Successors(node))
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
