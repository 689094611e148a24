using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>dominators' query: the objects that retain the most.</summary>
internal sealed partial class RetentionQueries
{
    public DominatorsResult TopDominators(int top, CancellationToken cancellationToken, IProgress<WalkProgress>? progress = null)
    {
        long[] retained = analysis.RetainedSizes(cancellationToken, progress);
        long liveBytes = LiveBytes();
        var best = new PriorityQueue<int, long>();
        for (int i = 0; i < retained.Length; i++)
        {
            if ((i & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (retained[i] == 0)
                continue;
            best.Enqueue(i, retained[i]);
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
}
