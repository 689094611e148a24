using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>rootpath's query: the root paths to one object.</summary>
internal sealed partial class RetentionQueries
{
    /// <summary>
    /// The root path the marking chose (root tiers first: statics and handles before stacks), and
    /// with <paramref name="count"/> &gt; 1 the paths from every other root that reaches the object,
    /// each root object once per root that names it, shortest first.
    /// </summary>
    public RootPathsResult RootPaths(int target, int count, CancellationToken cancellationToken)
    {
        bool live = analysis.IsLive(target);
        var paths = new List<RootPath>();
        if (live)
        {
            RootPath chosen = PathFromParents(target, cancellationToken);
            paths.Add(chosen);
            if (count > 1)
            {
                paths.AddRange(MorePaths(target, count - 1, chosen, cancellationToken));
                paths = paths.OrderBy(p => p.Hops.Count).ToList();
            }
        }
        return new RootPathsResult(Describe(target), live, live ? _retention.HolderText(target) : null, paths);
    }

    private RootPath PathFromParents(int target, CancellationToken cancellationToken)
    {
        var chain = new List<int>();
        int node = target;
        while (node >= 0)
        {
            if ((chain.Count & 0xFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            chain.Add(node);
            int parent = _retention.Parent(node);
            if (RetentionResult.IsRoot(parent))
                break;
            node = parent;
        }
        chain.Reverse();
        return new RootPath(_retention.RootName(_retention.Parent(chain[0])), Hops(chain, cancellationToken));
    }

    /// <summary>The path's objects and the fields between them: a block read per hop, so a path of a million hops checks for Ctrl-C.</summary>
    private List<PathHop> Hops(List<int> chain, CancellationToken cancellationToken)
    {
        var hops = new List<PathHop>(chain.Count);
        for (int i = 0; i < chain.Count; i++)
        {
            if ((i & 0xFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            hops.Add(new PathHop(Describe(chain[i]), i == 0 ? null : FieldBetween(chain[i - 1], chain[i])));
        }
        return hops;
    }

    /// <summary>
    /// Shortest paths from the other roots: breadth-first over live referrers from the target, so
    /// paths come shortest first; every root that names a root object met gives one (the
    /// <paramref name="chosen"/> path's root excepted).
    /// </summary>
    private List<RootPath> MorePaths(int target, int count, RootPath chosen, CancellationToken cancellationToken)
    {
        var found = new List<RootPath>();
        var toward = new Dictionary<int, int> { [target] = -1 };
        var queue = new Queue<int>();
        queue.Enqueue(target);
        ulong chosenRoot = chosen.Hops[0].Object.Address;
        while (queue.Count > 0 && found.Count < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int node = queue.Dequeue();
            if (analysis.IsRootNode(node))
            {
                var chain = new List<int>();
                for (int n = node; n >= 0; n = toward[n])
                    chain.Add(n);
                foreach (string root in RootNamesOf(node))
                {
                    if (found.Count == count)
                        break;
                    if (_index.AddressOf(node) == chosenRoot && root == chosen.Root)
                        continue;
                    // The runtime's array of statics holds what the named static roots hold: no second path.
                    if (root.StartsWith(RootSet.StaticsTable, StringComparison.Ordinal) && chain.Count > 1 && analysis.IsRootNode(chain[1]))
                        continue;
                    found.Add(new RootPath(root, Hops(chain, cancellationToken)));
                }
            }
            foreach (int referrer in analysis.Graph(cancellationToken, progress).Predecessors(node))
                if (analysis.IsLive(referrer) && toward.TryAdd(referrer, node))
                    queue.Enqueue(referrer);
        }
        return found;
    }
}
