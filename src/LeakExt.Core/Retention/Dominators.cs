namespace LeakExt.Core.Retention;

/// <summary>
/// Immediate dominators by Lengauer–Tarjan (the simple version with path compression,
/// O(E log N)), iterative throughout so deep heaps cannot overflow the stack.
/// The graph gets a virtual root (id = nodeCount) with an edge to every root node.
/// Layout: seven int arrays over the reachable nodes, numbered in DFS order (28 B per node),
/// plus the bucket lists (4 B per node).
/// </summary>
internal static class Dominators
{
    public const int VirtualRoot = -1;

    /// <summary>
    /// The dominator tree: Idom[v] is the node index of v's immediate dominator, <see cref="VirtualRoot"/>
    /// for nodes dominated only by the virtual root, -2 for nodes not reachable from the roots;
    /// Preorder lists the reachable nodes in DFS order, so every node comes after its dominator.
    /// </summary>
    public sealed record Tree(int[] Idom, int[] Preorder);

    public delegate ReadOnlySpan<int> Neighbours(int node);

    public static Tree Compute(int nodeCount, Neighbours successors, Neighbours predecessors,
        List<int> roots, Func<int, bool> isRoot, CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        progress?.Report(new WalkProgress("computing dominators", 0, 2L * nodeCount));
        int root = nodeCount;
        // dfs number (1-based) per node; 0 = unreached. vertex[k] = node with number k.
        var number = new int[nodeCount + 1];
        var vertex = new int[nodeCount + 2];
        var dfsParent = new int[nodeCount + 2];
        int count = 0;

        // Iterative DFS from the virtual root.
        var stackNode = new Stack<(int Node, int Next)>();
        number[root] = ++count;
        vertex[count] = root;
        stackNode.Push((root, 0));
        while (stackNode.Count > 0)
        {
            (int node, int next) = stackNode.Pop();
            ReadOnlySpan<int> succ = node == root ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(roots) : successors(node);
            while (next < succ.Length)
            {
                int child = succ[next++];
                if (number[child] != 0)
                {
                    // One array can hold tens of millions of references already numbered: Ctrl-C inside it too.
                    if ((next & 0xFFFF) == 0)
                        cancellationToken.ThrowIfCancellationRequested();
                    continue;
                }
                stackNode.Push((node, next));
                number[child] = ++count;
                vertex[count] = child;
                dfsParent[count] = number[node];
                stackNode.Push((child, 0));
                goto continueOuter;
            }
        continueOuter:;
            if ((count & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new WalkProgress("computing dominators", count, 2L * nodeCount));
            }
        }

        // Work in DFS numbers 1..count.
        var semi = new int[count + 1];
        var idom = new int[count + 1];
        var ancestor = new int[count + 1];
        var label = new int[count + 1];
        var bucketHead = new int[count + 1];
        var bucketNext = new int[count + 1];
        for (int v = 1; v <= count; v++)
        {
            semi[v] = v;
            label[v] = v;
        }
        var compressStack = new Stack<int>();

        for (int w = count; w >= 2; w--)
        {
            if ((w & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new WalkProgress("computing dominators", nodeCount + (long)count - w, 2L * nodeCount));
            }
            int node = vertex[w];
            // Predecessors: referrers that were reached, and the virtual root for root nodes.
            if (isRoot(node))
                Relax(w, 1);
            foreach (int p in predecessors(node))
            {
                int v = number[p];
                if (v != 0)
                    Relax(w, v);
            }
            // Add w to the bucket of its semidominator, link it under its DFS parent.
            bucketNext[w] = bucketHead[semi[w]];
            bucketHead[semi[w]] = w;
            int parent = dfsParent[w];
            ancestor[w] = parent;
            for (int v = bucketHead[parent]; v != 0; v = bucketNext[v])
            {
                int u = Eval(v);
                idom[v] = semi[u] < semi[v] ? u : parent;
            }
            bucketHead[parent] = 0;
        }
        for (int w = 2; w <= count; w++)
            if (idom[w] != semi[w])
                idom[w] = idom[idom[w]];

        var result = new int[nodeCount];
        Array.Fill(result, -2);
        var preorder = new int[count - 1];
        for (int w = 2; w <= count; w++)
        {
            int dominator = vertex[idom[w]];
            result[vertex[w]] = dominator == root ? VirtualRoot : dominator;
            preorder[w - 2] = vertex[w];
        }
        return new Tree(result, preorder);

        void Relax(int w, int v)
        {
            int u = Eval(v);
            if (semi[u] < semi[w])
                semi[w] = semi[u];
        }

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
}
