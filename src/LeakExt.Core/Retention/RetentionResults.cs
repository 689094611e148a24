using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>One object on a path or in a graph.</summary>
public sealed record ObjectRef(ulong Address, string Type, long Size);

/// <summary>A step of a root path: the object, and the field of the previous object that points at it.</summary>
public sealed record PathHop(ObjectRef Object, string? Field);

/// <summary>
/// A path from a root (its name, e.g. "static App.Cache.s_items") to the target; the first hop is
/// the root object, the last the target. A path longer than <see cref="ShownHops"/> objects (a
/// linked list of millions) lists its first and last hops only: <see cref="Omitted"/> says how many
/// objects lie between them and where.
/// </summary>
public sealed record RootPath(string Root, IReadOnlyList<PathHop> Hops)
{
    /// <summary>
    /// The most objects a path lists: the first and last half of this many, the rest counted. Each
    /// listed hop costs a read of its referrer (to name the field), so a path through a linked list
    /// of ten million nodes costs the same as a short one.
    /// </summary>
    public const int ShownHops = 100;

    /// <summary>The objects left out, or null when <see cref="Hops"/> is the whole path.</summary>
    public PathGap? Omitted { get; init; }

    /// <summary>Objects on the whole path, the omitted ones included.</summary>
    public int Length => Hops.Count + (Omitted?.Hops ?? 0);
}

/// <summary><paramref name="Hops"/> objects of a path left out after hop <paramref name="After"/> (a position in the listed hops).</summary>
public sealed record PathGap(int After, int Hops);

public sealed record RootPathsResult(ObjectRef Target, bool Live, string? Holder, IReadOnlyList<RootPath> Paths);

/// <summary>What a node of a back-reference graph is: an object, or a weak handle that refers to one (with -weak).</summary>
public enum BackrefNodeKind
{
    Object,
    WeakShortHandle,
    WeakLongHandle,
    WeakInteriorHandle,
}

/// <summary>Why a node's referrers were not all shown.</summary>
public enum CutReason
{
    DepthLimit,
    NodeLimit,

    /// <summary>A LoaderAllocator's referrers: the objects of its collectible types, each holding it through its type.</summary>
    CollectibleTypeObjects,
}

/// <summary>The documented names (docs/json.md) of node kinds and cut reasons: the only place they are spelled (a handle's, as its kind).</summary>
public static class BackrefKinds
{
    public static string Name(this BackrefNodeKind kind) => kind switch
    {
        BackrefNodeKind.Object => "object",
        BackrefNodeKind.WeakShortHandle => WeakHandleKind.WeakShort.Name(),
        BackrefNodeKind.WeakLongHandle => WeakHandleKind.WeakLong.Name(),
        BackrefNodeKind.WeakInteriorHandle => WeakHandleKind.WeakInterior.Name(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string Name(this CutReason reason) => reason switch
    {
        CutReason.DepthLimit => "depth limit",
        CutReason.NodeLimit => "node limit",
        CutReason.CollectibleTypeObjects => "objects of its collectible types held through it",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <summary>The node of a weak handle of this kind (root sets list only these three with a target).</summary>
    public static BackrefNodeKind NodeOf(WeakHandleKind handle) => handle switch
    {
        WeakHandleKind.WeakShort => BackrefNodeKind.WeakShortHandle,
        WeakHandleKind.WeakLong => BackrefNodeKind.WeakLongHandle,
        WeakHandleKind.WeakInterior => BackrefNodeKind.WeakInteriorHandle,
        _ => throw new ArgumentOutOfRangeException(nameof(handle), handle, "not a weak handle with a target"),
    };
}

/// <summary>A node of a back-reference graph. Roots lists the root names that hold it directly.</summary>
public sealed record BackrefNode(int Id, ObjectRef? Object, BackrefNodeKind Kind, IReadOnlyList<string> Roots, int Depth, bool Live)
{
    /// <summary>Elements of an array or a collection (List, Dictionary, HashSet, Queue, Stack, LinkedList, SortedList), else null.</summary>
    public long? Length { get; init; }

    /// <summary>A string's first characters (longer ones end in "…"), else null.</summary>
    public string? Value { get; init; }
}

/// <summary>From (a referrer) points at To through Label (a field, or a folded collection role); Weak for weak handles.</summary>
public sealed record BackrefEdge(int From, int To, string Label, bool Weak);

/// <summary>Referrers of one node that were not shown (depth or node limit).</summary>
public sealed record BackrefCut(int Node, int Hidden, CutReason Reason);

public sealed record BackrefGraph(
    int Target, IReadOnlyList<BackrefNode> Nodes, IReadOnlyList<BackrefEdge> Edges, IReadOnlyList<BackrefCut> Cuts,
    string? Holder, int InstancesOfType, int InstancesSharingHolder)
{
    /// <summary>With -type: the types it chose, and by which rule.</summary>
    public TypeSelection? Selection { get; init; }
}

/// <summary>What releasing one object (Target) or every live instance of the selected types (Selection) would free.</summary>
public sealed record RetainedResult(ObjectRef? Target, TypeSelection? Selection, int Objects, long ShallowBytes, long RetainedCount, long RetainedBytes, long LiveBytes);

public sealed record DominatorRow(ObjectRef Object, long RetainedBytes, double RetainedPercent, string Holder);

public sealed record DominatorsResult(long LiveBytes, IReadOnlyList<DominatorRow> Rows);
