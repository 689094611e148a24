using LeakExt.Core;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;

namespace LeakExt.Tests.Unit;

/// <summary>Lengauer–Tarjan checked against the definition on many small random graphs.</summary>
public sealed class DominatorTests
{
    /// <param name="leafShare">The share of nodes made without references (heaps are mostly such leaves: strings, boxed values).</param>
    private static (HeapGraph Graph, List<int> Roots) RandomGraph(Random random, int nodes, double leafShare = 0.25)
    {
        var edges = new List<int>[nodes];
        for (int n = 0; n < nodes; n++)
        {
            edges[n] = new List<int>();
            int degree = random.NextDouble() < leafShare ? 0 : random.Next(1, 4);
            for (int d = 0; d < degree; d++)
                edges[n].Add(random.Next(nodes));
        }
        var start = new int[nodes + 1];
        for (int n = 0; n < nodes; n++)
            start[n + 1] = start[n] + edges[n].Count;
        int[] targets = edges.SelectMany(e => e).ToArray();
        var roots = Enumerable.Range(0, nodes).Where(_ => random.Next(4) == 0).Distinct().ToList();
        if (roots.Count == 0)
            roots.Add(0);
        return (HeapGraph.FromEdges(nodes, start, targets), roots);
    }

    /// <summary>Nodes reachable from the roots when <paramref name="removed"/> is taken out (-1: nothing removed).</summary>
    private static bool[] Reachable(HeapGraph graph, List<int> roots, int removed)
    {
        var seen = new bool[graph.NodeCount];
        var stack = new Stack<int>(roots.Where(r => r != removed));
        foreach (int r in stack)
            seen[r] = true;
        while (stack.Count > 0)
            foreach (int next in graph.Successors(stack.Pop()))
                if (next != removed && !seen[next])
                {
                    seen[next] = true;
                    stack.Push(next);
                }
        return seen;
    }

    private static Bitset RootBits(int nodes, List<int> roots)
    {
        var bits = new Bitset(nodes);
        foreach (int root in roots)
            bits.TrySet(root);
        return bits;
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.7)]
    public void Immediate_dominators_match_the_definition_on_random_graphs(double leafShare)
    {
        var random = new Random(20261121);
        int singleOwnerLeaves = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            int nodes = random.Next(1, 14);
            (HeapGraph graph, List<int> roots) = RandomGraph(random, nodes, leafShare);
            Dominators.Tree tree = Dominators.Compute(nodes, graph, roots, RootBits(nodes, roots), CancellationToken.None);
            singleOwnerLeaves += Enumerable.Range(0, nodes).Count(v => graph.Successors(v).IsEmpty && graph.Predecessors(v).Length == 1 && !roots.Contains(v));

            bool[] reachable = Reachable(graph, roots, -1);
            // Brute force: d dominates v when removing d makes v unreachable.
            var dominators = new HashSet<int>[nodes];
            for (int v = 0; v < nodes; v++)
                dominators[v] = new HashSet<int>();
            for (int d = 0; d < nodes; d++)
            {
                bool[] without = Reachable(graph, roots, d);
                for (int v = 0; v < nodes; v++)
                    if (reachable[v] && v != d && !without[v])
                        dominators[v].Add(d);
            }

            for (int v = 0; v < nodes; v++)
            {
                if (!reachable[v])
                {
                    Assert.Equal(Dominators.Unreached, tree.Idom[v]);
                    continue;
                }
                // The immediate dominator is the strict dominator that every other strict dominator dominates.
                int expected = dominators[v].Count == 0 ? Dominators.VirtualRoot
                    : dominators[v].Single(d => dominators[v].All(other => other == d || dominators[d].Contains(other)));
                Assert.True(expected == tree.Idom[v], $"trial {trial}, node {v}: expected idom {expected}, got {tree.Idom[v]}");
            }
            Assert.Equal(reachable.Count(r => r), tree.Preorder.Length);
        }
        // The shortcut for leaves with one referrer is exercised, not only the general case.
        Assert.True(singleOwnerLeaves > 100, $"only {singleOwnerLeaves} single-owner leaves");
    }

    [Fact]
    public void Preorder_puts_every_node_after_its_dominator()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 100; trial++)
        {
            (HeapGraph graph, List<int> roots) = RandomGraph(random, 30, leafShare: 0.5);
            Dominators.Tree tree = Dominators.Compute(30, graph, roots, RootBits(30, roots), CancellationToken.None);
            var position = tree.Preorder.Select((node, i) => (node, i)).ToDictionary(p => p.node, p => p.i);
            foreach (int node in tree.Preorder)
                if (tree.Idom[node] >= 0)
                    Assert.True(position[tree.Idom[node]] < position[node]);
        }
    }

    [Fact]
    public void Progress_rises_steadily_to_near_the_end_though_leaves_are_never_numbered()
    {
        // A binary tree of 400,000 nodes from node 0: its 200,000 leaves are single-owner leaves,
        // so the DFS numbers only the other half, and progress must not count the leaves it skips.
        const int nodes = 400_000;
        var start = new int[nodes + 1];
        var targets = new List<int>();
        for (int n = 0; n < nodes; n++)
        {
            foreach (int child in new[] { 2 * n + 1, 2 * n + 2 })
                if (child < nodes)
                    targets.Add(child);
            start[n + 1] = targets.Count;
        }
        HeapGraph graph = HeapGraph.FromEdges(nodes, start, targets.ToArray());
        var reports = new List<WalkProgress>();
        Dominators.Compute(nodes, graph, [0], RootBits(nodes, [0]), CancellationToken.None, new Recorder(reports), reachable: nodes);

        double[] fractions = reports.Select(r => (double)r.Done / r.Total).ToArray();
        Assert.True(fractions.Length > 3, $"only {fractions.Length} reports");
        for (int i = 1; i < fractions.Length; i++)
            Assert.True(fractions[i] >= fractions[i - 1] && fractions[i] <= 1, $"progress went {fractions[i - 1]:P1} -> {fractions[i]:P1}");
        // The last report comes 65,536 nodes before the end of the semidominators: (2 x 200,000 - 65,536) / (2 x 200,000).
        Assert.InRange(fractions[^1], 0.83, 0.84);
    }

    private sealed class Recorder(List<WalkProgress> reports) : IProgress<WalkProgress>
    {
        public void Report(WalkProgress value) => reports.Add(value);
    }

    [Fact]
    public void Reverse_edges_come_from_a_counting_pass()
    {
        HeapGraph graph = HeapGraph.FromEdges(4, [0, 2, 3, 3, 4], [1, 2, 2, 0]);
        Assert.Equal([3], graph.Predecessors(0).ToArray());
        Assert.Equal([0], graph.Predecessors(1).ToArray());
        Assert.Equal([0, 1], graph.Predecessors(2).ToArray());
        Assert.Empty(graph.Predecessors(3).ToArray());
    }
}
