using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>backrefs' query: who refers to an object, folded the way holders are.</summary>
internal sealed partial class RetentionQueries
{
    /// <summary>Whether <paramref name="holder"/> is on <paramref name="node"/>'s root path (its parent chain).</summary>
    private bool HeldThrough(int node, int holder)
    {
        for (int n = node, guard = 0; n >= 0 && guard < 1_000_000; guard++)
        {
            if (n == holder)
                return true;
            int parent = _retention.Parent(n);
            if (RetentionResult.IsRoot(parent))
                return false;
            n = parent;
        }
        return false;
    }

    private bool IsInternal(int node)
    {
        int state = _retention.Holder(node);
        return state >= 0 && _retention.Rules.Table.State(state).Inside != CollectionKind.None;
    }

    /// <summary>objgraph's show_backrefs: referrers breadth-first up to a depth and a node budget.</summary>
    public BackrefGraph Backrefs(int target, int depth, int maxNodes, bool weak, bool raw, CancellationToken cancellationToken)
    {
        var nodes = new List<BackrefNode>();
        var edges = new List<BackrefEdge>();
        var cuts = new List<BackrefCut>();
        var idOf = new Dictionary<int, int>();
        bool targetLive = analysis.IsLive(target);

        int Add(int node, int level)
        {
            if (idOf.TryGetValue(node, out int id))
                return id;
            id = nodes.Count;
            idOf[node] = id;
            (long? length, string? value) = ObjectDetails.Read(heap, _index.AddressOf(node));
            nodes.Add(new BackrefNode(id, Describe(node), BackrefNodeKind.Object, RootNamesOf(node), level, analysis.IsLive(node)) { Length = length, Value = value });
            return id;
        }

        var queue = new Queue<(int Node, int Level)>();
        Add(target, 0);
        queue.Enqueue((target, 0));
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (int node, int level) = queue.Dequeue();
            int to = idOf[node];

            // Referrers, with collection internals folded into the collection that owns them.
            var referrers = new List<(int Node, string Label)>();
            int ownObjects = 0;
            bool namedStatic = HasStaticRoot(node);
            foreach (int referrer in analysis.Graph(cancellationToken, progress).Predecessors(node).ToArray().Distinct())
            {
                if (targetLive && !analysis.IsLive(referrer))
                    continue;
                // The runtime's array of statics holds what a named static root holds: one root node, not that one and the array.
                if (namedStatic && IsStaticsTable(referrer))
                    continue;
                // Every object of a plugin's types points at its LoaderAllocator: show those held from outside it.
                if (_index.Types.Layouts[_index.TypeIds[referrer]].LoaderAllocator == _index.AddressOf(node) && HeldThrough(referrer, node))
                {
                    ownObjects++;
                    continue;
                }
                if (!raw && IsInternal(referrer))
                {
                    (int owner, string label) = FoldInternals(referrer, node);
                    // A back-pointer from the collection's own internals (a node to its queue) is not a referrer.
                    if (owner >= 0 && owner != node && !referrers.Exists(r => r.Node == owner))
                        referrers.Add((owner, label));
                    continue;
                }
                referrers.Add((referrer, FieldBetween(referrer, node)));
            }

            if (ownObjects > 0)
                cuts.Add(new BackrefCut(to, ownObjects, CutReason.CollectibleTypeObjects));
            if (level >= depth)
            {
                if (referrers.Count > 0)
                    cuts.Add(new BackrefCut(to, referrers.Count, CutReason.DepthLimit));
                continue;
            }

            int hidden = 0;
            foreach ((int referrer, string label) in referrers)
            {
                bool seen = idOf.ContainsKey(referrer);
                if (!seen && nodes.Count >= maxNodes)
                {
                    hidden++;
                    continue;
                }
                int from = Add(referrer, level + 1);
                edges.Add(new BackrefEdge(from, to, label, Weak: false));
                if (!seen)
                    queue.Enqueue((referrer, level + 1));
            }
            if (hidden > 0)
                cuts.Add(new BackrefCut(to, hidden, CutReason.NodeLimit));
        }

        if (weak)
            AddWeakReferrers(target, nodes, edges, idOf);

        return new BackrefGraph(0, nodes, edges, cuts, targetLive ? _retention.HolderText(target) : null, 0, 0);
    }

    private bool HasStaticRoot(int node) => RootNamesOf(node).Any(n => n.StartsWith("static ", StringComparison.Ordinal));

    private bool IsStaticsTable(int node) => analysis.IsRootNode(node) && RootNamesOf(node).Any(n => n.StartsWith(RootSet.StaticsTable, StringComparison.Ordinal));

    /// <summary>Climbs from an internal (array, node, entry) to its collection; the label is the member's role in it.</summary>
    private (int Owner, string Label) FoldInternals(int internalNode, int member)
    {
        int memberState = _retention.Rules.ChildState(_retention.Holder(internalNode), _index.TypeIds[internalNode],
            OffsetBetween(internalNode, member), _index.TypeIds[member]);
        string text = _retention.Rules.Table.Text(_retention.Rules.Table.State(memberState).Text);
        int cut = text.LastIndexOf(HolderTable.Separator, StringComparison.Ordinal);
        string label = cut >= 0 ? text[(cut + HolderTable.Separator.Length)..] : "items";

        int node = internalNode;
        for (int guard = 0; guard < 10_000 && node >= 0 && IsInternal(node); guard++)
        {
            int parent = _retention.Parent(node);
            if (RetentionResult.IsRoot(parent))
                return (node, label);
            node = parent;
        }
        return (node, label);
    }

    private void AddWeakReferrers(int target, List<BackrefNode> nodes, List<BackrefEdge> edges, Dictionary<int, int> idOf)
    {
        ulong address = _index.AddressOf(target);
        (ulong Handle, ulong Target, WeakHandleKind Kind)[] handles = _retention.Roots.WeakHandles.Where(h => h.Target == address).ToArray();
        if (handles.Length == 0)
            return;

        // WeakReference objects keep their handle in _taggedHandle (low bit: tracks resurrection).
        var owners = new Dictionary<ulong, int>();
        for (int t = 0; t < _index.Types.Count; t++)
        {
            string name = _index.Types.NameOf(t);
            if (!name.StartsWith("System.WeakReference", StringComparison.Ordinal))
                continue;
            for (int i = 0; i < _index.ObjectCount; i++)
            {
                if (_index.TypeIds[i] != t)
                    continue;
                ClrObject obj = heap.GetObject(_index.AddressOf(i));
                ClrInstanceField? field = obj.Type?.GetFieldByName("_taggedHandle") ?? obj.Type?.GetFieldByName("m_handle");
                if (field is null)
                    continue;
                ulong handle = (ulong)field.Read<long>(obj.Address, interior: false) & ~3UL;
                owners.TryAdd(handle, i);
            }
        }

        foreach ((ulong handle, _, WeakHandleKind kind) in handles)
        {
            int handleId = nodes.Count;
            nodes.Add(new BackrefNode(handleId, null, BackrefKinds.NodeOf(kind), [$"{kind.Name().Replace('-', ' ')} 0x{handle:x}"], 1, false));
            edges.Add(new BackrefEdge(handleId, idOf[target], "weak", Weak: true));
            if (owners.TryGetValue(handle, out int owner))
            {
                bool seen = idOf.ContainsKey(owner);
                int ownerId = seen ? idOf[owner] : nodes.Count;
                if (!seen)
                {
                    idOf[owner] = ownerId;
                    nodes.Add(new BackrefNode(ownerId, Describe(owner), BackrefNodeKind.Object, RootNamesOf(owner), 2, analysis.IsLive(owner)));
                }
                edges.Add(new BackrefEdge(ownerId, handleId, "_taggedHandle", Weak: true));
            }
        }
    }
}
