namespace LeakExt.Core.Heap;

/// <summary>
/// References the GC follows that no field of an object holds. A dependent handle's primary keeps
/// its secondary alive (a ConditionalWeakTable's key keeps its value); a LoaderAllocator keeps the
/// statics of its collectible types alive (those statics are not roots: an unloaded plugin's die
/// with it). Markers, the reference graph and paths all follow them.
/// Layout: parallel arrays sorted by source address: Sources, Targets (8 B each) and LabelIds
/// (4 B, into Labels); 20 B per edge; an object's edges are one binary search away.
/// </summary>
internal sealed class HiddenEdges
{
    /// <summary>How the edge from a dependent handle's primary to its secondary is named.</summary>
    public const string ConditionalWeakTableKey = "ConditionalWeakTable key";

    public ulong[] Sources { get; }
    public ulong[] Targets { get; }
    public int[] LabelIds { get; }
    public IReadOnlyList<string> Labels { get; }

    public static HiddenEdges None { get; } = new([]);

    public int Count => Sources.Length;

    /// <summary>Edges as (source, target, label); sorted here.</summary>
    public HiddenEdges(IReadOnlyList<(ulong Source, ulong Target, string Label)> edges)
    {
        var labels = new List<string>();
        var labelIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var sorted = edges.Where(e => e.Source != 0 && e.Target != 0).Distinct().OrderBy(e => e.Source).ThenBy(e => e.Target).ToArray();
        Sources = new ulong[sorted.Length];
        Targets = new ulong[sorted.Length];
        LabelIds = new int[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            Sources[i] = sorted[i].Source;
            Targets[i] = sorted[i].Target;
            if (!labelIds.TryGetValue(sorted[i].Label, out int id))
            {
                labelIds[sorted[i].Label] = id = labels.Count;
                labels.Add(sorted[i].Label);
            }
            LabelIds[i] = id;
        }
        Labels = labels;
    }

    /// <summary>The range of edges from <paramref name="source"/> (Count 0 when there are none).</summary>
    public (int Start, int Count) From(ulong source)
    {
        int at = Array.BinarySearch(Sources, source);
        if (at < 0)
            return (0, 0);
        while (at > 0 && Sources[at - 1] == source)
            at--;
        int end = at;
        while (end < Sources.Length && Sources[end] == source)
            end++;
        return (at, end - at);
    }

    /// <summary>The label of the edge from <paramref name="source"/> to <paramref name="target"/>, or null when there is none.</summary>
    public string? Label(ulong source, ulong target)
    {
        (int start, int count) = From(source);
        for (int i = start; i < start + count; i++)
            if (Targets[i] == target)
                return Labels[LabelIds[i]];
        return null;
    }
}
