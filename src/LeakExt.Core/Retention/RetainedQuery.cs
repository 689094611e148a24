using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>retained's query: what one object or a set keeps alive.</summary>
internal sealed partial class RetentionQueries
{
    public RetainedResult Retained(ObjectRef? target, TypeSelection? selection, IReadOnlyList<int> set, CancellationToken cancellationToken)
    {
        long shallow = set.Sum(n => (long)_index.SizeOf(n));
        long liveBytes = LiveBytes();
        if (set.Count == 1)
        {
            int node = set[0];
            if (!analysis.IsLive(node))
                return new RetainedResult(target, selection, 1, shallow, 0, 0, liveBytes);
            long[] retained = analysis.RetainedSizes(cancellationToken, progress);
            Dominators.Tree tree = analysis.DominatorTree(cancellationToken, progress);
            // The dominated objects: in preorder every object follows its dominator, so one pass finds the subtree.
            var inside = new Bitset(_index.ObjectCount);
            inside.TrySet(node);
            long count = 1;
            foreach (int n in tree.Preorder)
                if (n != node && tree.Idom[n] >= 0 && inside[tree.Idom[n]] && inside.TrySet(n))
                    count++;
            return new RetainedResult(target, selection, 1, shallow, count, retained[node], liveBytes);
        }
        (long setCount, long setBytes) = analysis.RetainedBySet(set.Where(analysis.IsLive).ToArray(), cancellationToken, progress);
        return new RetainedResult(target, selection, set.Count, shallow, setCount, setBytes, liveBytes);
    }
}
