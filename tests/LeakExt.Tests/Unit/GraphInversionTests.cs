using LeakExt.Core.Retention;

namespace LeakExt.Tests.Unit;

/// <summary>The reference graph's referrer lists: every reference, each node's referrers in node order.</summary>
public sealed class GraphInversionTests
{
    [Theory]
    [InlineData(10, 0)]
    [InlineData(50_000, 0)]
    [InlineData(400_000, 1_500_000)]
    // Most references from the first nodes, a long tail of nodes with none.
    [InlineData(400_000, -1_500_000)]
    public void ReferrersAreEveryReferenceInNodeOrder(int nodes, int references)
    {
        var random = new Random(nodes + references);
        int total = Math.Abs(references) > 0 ? Math.Abs(references) : nodes * 2;
        var start = new int[nodes + 1];
        for (int e = 0; e < total; e++)
        {
            // Skewed to the front when references < 0: a quarter of the nodes hold nearly all of them.
            int source = references < 0 ? (int)(Math.Pow(random.NextDouble(), 6) * nodes) : random.Next(nodes);
            start[source + 1]++;
        }
        for (int n = 0; n < nodes; n++)
            start[n + 1] += start[n];
        var targets = new int[total];
        for (int e = 0; e < total; e++)
            targets[e] = random.Next(nodes);

        HeapGraph graph = HeapGraph.FromEdges(nodes, start, targets);

        var expected = new List<int>[nodes];
        for (int n = 0; n < nodes; n++)
            expected[n] = new List<int>();
        for (int n = 0; n < nodes; n++)
            for (int e = start[n]; e < start[n + 1]; e++)
                expected[targets[e]].Add(n);
        Assert.Equal(total, graph.ReferrerStart[nodes]);
        for (int n = 0; n < nodes; n++)
        {
            if (!graph.Predecessors(n).SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(expected[n])))
                Assert.Fail($"node {n}: referrers [{string.Join(", ", graph.Predecessors(n).ToArray())}], expected [{string.Join(", ", expected[n])}]");
        }
    }
}
