using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// Immediate dominators by semi-NCA (Georgiadis: Lengauer–Tarjan's semidominators with path
/// compression, then each idom as the nearest common ancestor in the DFS tree; no buckets), iterative
/// throughout so deep heaps cannot overflow the stack. The graph gets a virtual root (id = nodeCount)
/// with an edge to every root node.
/// Layout: the DFS number per node (4 B per object, reused for the result), and five int arrays by
/// DFS number over the reachable nodes (20 B per reachable object: vertex, DFS parent — reused for
/// the idoms —, semidominator, label — the DFS's edge cursor first —, forest ancestor); the DFS
/// walks back up by its parent links, so it needs no stack. Plus the preorder (4 B per reachable object)
/// and a bitset of the single-owner leaves (1 bit per object).
/// Single-owner leaves — objects with no references, one referrer and no root of their own (most
/// strings, boxed values and arrays of primitives) — are left out of the DFS and the semidominators:
/// such an object lies on no path to any other, so it changes no other dominator, and its own
/// immediate dominator is its referrer. They get that in one pass in index order after the tree.
/// </summary>
internal static class Dominators
{
    public const int VirtualRoot = -1;
    public const int Unreached = -2;

    /// <summary>
    /// The dominator tree: Idom[v] is the node index of v's immediate dominator, <see cref="VirtualRoot"/>
    /// for nodes dominated only by the virtual root, <see cref="Unreached"/> for nodes not reachable from the roots (indices
    /// from nodeCount on are not nodes); Preorder lists the reachable nodes, every node after its
    /// dominator: the DFS's nodes in DFS order, then the single-owner leaves in index order.
    /// </summary>
    public sealed record Tree(int[] Idom, int[] Preorder);

    /// <param name="reachable">How many nodes the roots reach, about (the live objects): that prefix of the arrays by DFS number is populated.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Tree Compute(int nodeCount, HeapGraph graph,
        List<int> roots, Bitset rootNodes, CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null, long reachable = 0)
    {
        progress?.Report(new WalkProgress("computing dominators", 0, Math.Max(1, 2L * nodeCount)));
        PageAdvice.AdviseHugePagesForGcHeap();
        int root = nodeCount;
        // DFS number (1-based) per node, 0 = unreached. The arrays by number are sized for every node;
        // only the reachable part is ever touched, and that much is populated (a page fault at a
        // time cost the DFS about 0.3 s on the 10 M-object heap).
        var number = PageAdvice.Populated(new int[nodeCount + 1]);
        long touched = reachable + 2;
        var vertex = PageAdvice.PopulatedPrefix(new int[nodeCount + 2], touched);
        var parent = PageAdvice.PopulatedPrefix(new int[nodeCount + 2], touched);
        var label = PageAdvice.PopulatedPrefix(new int[nodeCount + 2], touched);
        Bitset ownedLeaf = SingleOwnerLeaves(nodeCount, graph, rootNodes, cancellationToken);
        // Progress counts the DFS's nodes, then them again for the semidominators. Until the DFS ends
        // its total is a bound: no more than the live objects, nor than the objects that are not leaves.
        long estimate = Math.Max(1, Math.Min(reachable > 0 ? reachable : nodeCount, nodeCount - ownedLeaf.PopCount()));
        int count = 1;
        number[root] = 1;
        vertex[1] = root;

        // Iterative DFS from the virtual root; label[k] is k's cursor into its successors meanwhile.
        for (int k = 1; k != 0;)
        {
            int node = vertex[k];
            ReadOnlySpan<int> next = node == root ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(roots) : graph.Successors(node);
            int at = label[k];
            // The leaf bitset first: it is small enough to stay in cache, and most references lead to leaves.
            while (at < next.Length && (ownedLeaf[next[at]] || number[next[at]] != 0))
            {
                // One array can hold tens of millions of references already numbered: Ctrl-C inside it too.
                if ((++at & 0xFFFF) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
            }
            if (at == next.Length)
            {
                k = parent[k];
                continue;
            }
            label[k] = at + 1;
            int child = next[at];
            number[child] = ++count;
            vertex[count] = child;
            parent[count] = k;
            k = count;
            if ((count & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new WalkProgress("computing dominators", Math.Min(count, estimate), 2 * estimate));
            }
        }

        var semi = PageAdvice.Populated(new int[count + 1]);
        var ancestor = PageAdvice.Populated(new int[count + 1]);
        for (int v = 1; v <= count; v++)
        {
            semi[v] = v;
            label[v] = v;
        }
        var compressStack = new Stack<int>();

        // Semidominators, latest first; each node is linked to its DFS parent once done.
        for (int w = count; w >= 2; w--)
        {
            if ((w & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new WalkProgress("computing dominators", 2L * count - w, 2L * count));
            }
            int node = vertex[w];
            int best = semi[w];
            // Predecessors: referrers that were reached, and the virtual root for root nodes.
            if (rootNodes[node])
                best = 1;
            foreach (int p in graph.Predecessors(node))
            {
                // A predecessor numbered before w is not linked yet: it evaluates to itself, its semi its own number.
                int v = number[p];
                if (v != 0)
                    best = Math.Min(best, v < w ? v : semi[Eval(v)]);
            }
            semi[w] = best;
            ancestor[w] = parent[w];
        }

        // Each idom is the nearest ancestor of the DFS parent at or above the semidominator (in preorder,
        // so the idoms above are final); computed in place of the DFS parents.
        int[] idom = parent;
        for (int w = 2; w <= count; w++)
        {
            int d = idom[w];
            while (d > semi[w])
                d = idom[d];
            idom[w] = d;
        }

        // Each single-owner leaf whose referrer was reached is dominated by it. Referrers are never
        // leaves, so their DFS numbers are still in place while the leaves' entries are written.
        int reachedLeaves = 0;
        for (int v = 0; v < nodeCount; v++)
        {
            if ((v & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (ownedLeaf[v] && number[graph.Referrers[graph.ReferrerStart[v]]] > 0)
                reachedLeaves++;
        }

        // The result by node, in place of the DFS numbers: the leaves and the unreached first, then
        // every numbered node's idom; the preorder lists the numbered nodes, then the leaves after their owners.
        int[] result = number;
        var preorder = PageAdvice.Populated(new int[count - 1 + reachedLeaves]);
        int leavesAt = count - 1;
        for (int v = 0; v < nodeCount; v++)
        {
            if (ownedLeaf[v])
            {
                int owner = graph.Referrers[graph.ReferrerStart[v]];
                if (number[owner] > 0)
                {
                    result[v] = owner;
                    preorder[leavesAt++] = v;
                }
                else
                    result[v] = Unreached;
            }
            else if (result[v] == 0)
                result[v] = Unreached;
        }
        for (int w = 2; w <= count; w++)
        {
            int dominator = vertex[idom[w]];
            result[vertex[w]] = dominator == root ? VirtualRoot : dominator;
            preorder[w - 2] = vertex[w];
        }
        result[root] = Unreached;
        return new Tree(result, preorder);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        int Eval(int v)
        {
            if (ancestor[v] == 0)
                return v;
            // Compress the ancestor chain of v, iteratively.
            int x = v;
            while (ancestor[ancestor[x]] != 0)
            {
                compressStack.Push(x);
                x = ancestor[x];
            }
            while (compressStack.Count > 0)
            {
                int y = compressStack.Pop();
                int a = ancestor[y];
                if (semi[label[a]] < semi[label[y]])
                    label[y] = label[a];
                ancestor[y] = ancestor[a];
            }
            return label[v];
        }
    }

    /// <summary>Objects with no references, exactly one referrer (live or dead) and no root of their own.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static Bitset SingleOwnerLeaves(int nodeCount, HeapGraph graph, Bitset rootNodes, CancellationToken cancellationToken)
    {
        var leaves = new Bitset(nodeCount);
        int[] edgeStart = graph.EdgeStart, referrerStart = graph.ReferrerStart;
        for (int v = 0; v < nodeCount; v++)
        {
            if ((v & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (edgeStart[v + 1] == edgeStart[v] && referrerStart[v + 1] - referrerStart[v] == 1 && !rootNodes[v])
                leaves.TrySet(v);
        }
        return leaves;
    }
}
