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
                paths = paths.OrderBy(p => p.Length).ToList();
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
        return Path(_retention.RootName(_retention.Parent(chain[0])), chain, cancellationToken);
    }

    /// <summary>
    /// The path's objects (root first) and the fields between them: a block read per listed hop;
    /// of a path longer than <see cref="RootPath.ShownHops"/>, the first and last half of that many.
    /// </summary>
    private RootPath Path(string root, List<int> chain, CancellationToken cancellationToken)
    {
        int head = chain.Count <= RootPath.ShownHops ? chain.Count : RootPath.ShownHops / 2;
        int tail = chain.Count <= RootPath.ShownHops ? 0 : RootPath.ShownHops - head;
        var hops = new List<PathHop>(head + tail);
        foreach (int i in Enumerable.Range(0, head).Concat(Enumerable.Range(chain.Count - tail, tail)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            hops.Add(new PathHop(Describe(chain[i]), i == 0 ? null : FieldBetween(chain[i - 1], chain[i])));
        }
        return new RootPath(root, hops) { Omitted = tail > 0 ? new PathGap(head, chain.Count - head - tail) : null };
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
                    found.Add(Path(root, chain, cancellationToken));
                }
            }
            foreach (int referrer in analysis.Graph(cancellationToken, progress).Predecessors(node))
                if (analysis.IsLive(referrer) && toward.TryAdd(referrer, node))
                    queue.Enqueue(referrer);
        }
        return found;
    }
}
