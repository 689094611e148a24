using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>dominators' query: the objects that retain the most.</summary>
internal sealed partial class RetentionQueries
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public DominatorsResult TopDominators(int top, CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        long[] retained = analysis.RetainedSizes(cancellationToken, progress);
        long liveBytes = LiveBytes();
        // The top objects by retained bytes, ties to the lower index; most objects lose to the smallest kept at once.
        var best = new PriorityQueue<int, (long Retained, int Node)>(top + 1, KeptLast.Instance);
        for (int i = 0; i < retained.Length; i++)
        {
            if ((i & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (retained[i] == 0)
                continue;
            if (best.Count == top && best.TryPeek(out _, out (long Retained, int Node) smallest) && KeptLast.Instance.Compare((retained[i], i), smallest) <= 0)
                continue;
            best.Enqueue(i, (retained[i], i));
            if (best.Count > top)
                best.Dequeue();
        }
        var rows = new List<DominatorRow>();
        while (best.Count > 0)
        {
            int node = best.Dequeue();
            rows.Add(new DominatorRow(Describe(node), retained[node], liveBytes == 0 ? 0 : Math.Round(100.0 * retained[node] / liveBytes, 2),
                _retention.HolderText(node)));
        }
        rows.Reverse();
        return new DominatorsResult(liveBytes, rows);
    }

    /// <summary>Orders candidates so the one to drop first comes first: fewer retained bytes, then the higher index.</summary>
    private sealed class KeptLast : IComparer<(long Retained, int Node)>
    {
        public static readonly KeptLast Instance = new();

        public int Compare((long Retained, int Node) x, (long Retained, int Node) y) =>
            x.Retained != y.Retained ? x.Retained.CompareTo(y.Retained) : y.Node.CompareTo(x.Node);
    }
}
