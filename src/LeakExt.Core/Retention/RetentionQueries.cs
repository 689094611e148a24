using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>Answers "who holds it, and what would I get back" over a <see cref="RetentionAnalysis"/>.</summary>
internal sealed class RetentionQueries(RetentionAnalysis analysis, ClrHeap heap)
{
    private readonly HeapIndex _index = analysis.Index;
    private readonly RetentionResult _retention = analysis.Retention;
    private Dictionary<int, List<string>>? _rootNames;

    public ObjectRef Describe(int node) =>
        new(_index.AddressOf(node), SnapshotBuilder.TypeName(_index.Types[_index.TypeIds[node]]), (long)_index.SizeOf(node));

    /// <summary>The object starting at an address; anything else (free space, damaged bytes, the inside of an object) is a one-line error.</summary>
    public int Resolve(string command, ulong address)
    {
        int node = _index.IndexOf(address);
        if (node >= 0)
            return node;
        if (_index.IndexOfContaining(address, out ulong start) >= 0)
            throw new LeakExtException($"{command}: 0x{address:x} is inside the object at 0x{start:x}; pass the object's address.");
        if (_index.FreeBlockContaining(address, out ulong freeStart, out ulong freeSize))
            throw new LeakExtException($"{command}: 0x{address:x} is free space in the GC heap (a free block of {freeSize:N0} bytes at 0x{freeStart:x}), not an object.");
        if (_index.UnreadableContaining(address) is { } damaged)
            throw new LeakExtException($"{command}: 0x{address:x} lies in {damaged.End - damaged.Start:N0} bytes of the heap at 0x{damaged.Start:x} that hold no readable object (corrupt or missing from the dump).");
        throw new LeakExtException($"{command}: no object starts at 0x{address:x} in the GC heap; check the address (e.g. from 'snapdiff -by holder').");
    }

    /// <summary>All instances of the types <paramref name="text"/> chooses (<see cref="TypeSelector"/>: exact name, short name, explicit glob).</summary>
    public (List<int> Nodes, TypeSelection Selection) InstancesOf(string command, string text, bool liveOnly, CancellationToken cancellationToken)
    {
        // Per type id its name, once; the selector reads names, then one pass over the objects with a flag per type id (1 B each).
        var names = new string[_index.Types.Count];
        for (int t = 0; t < names.Length; t++)
        {
            if ((t & 1023) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            names[t] = SnapshotBuilder.TypeName(_index.Types[t]);
        }
        TypeSelection selection = TypeSelector.Select(command, text, names.Distinct(StringComparer.Ordinal).ToArray());
        bool[] chosen = new bool[names.Length];
        for (int t = 0; t < names.Length; t++)
            chosen[t] = selection.Contains(names[t]) && !_index.Types.Layouts[t].IsFree;
        var nodes = new List<int>();
        for (int i = 0; i < _index.ObjectCount; i++)
        {
            if ((i & 0xFFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (chosen[_index.TypeIds[i]] && (!liveOnly || analysis.IsLive(i)))
                nodes.Add(i);
        }
        if (nodes.Count == 0)
            throw new LeakExtException($"{command}: no {(liveOnly ? "live " : "")}objects of {string.Join(", ", selection.Types)}.");
        return (nodes, selection);
    }

    /// <summary>The name of the field of <paramref name="from"/> that points at <paramref name="to"/>; for a reference array, the element index.</summary>
    public string FieldBetween(int from, int to)
    {
        int typeId = _index.TypeIds[from];
        if (_index.Types.Layouts[typeId].LoaderAllocator == _index.AddressOf(to))
            return HolderRules.CollectibleTypeStep;
        if (_retention.Roots.Hidden.Label(_index.AddressOf(from), _index.AddressOf(to)) is { } hidden)
            return hidden;
        int offset = OffsetBetween(from, to);
        ref TypeLayout layout = ref _index.Types.Layouts[typeId];
        if (layout.ComponentSize == 8 && layout.SeriesCount > 0 && offset >= 16)
            return $"[{(offset - 16) / 8}]";
        if (layout.ComponentSize > 0 && layout.SeriesCount < 0 && offset >= 16)
            return $"[{(offset - 16) / layout.ComponentSize}].{_retention.Rules.FieldName(typeId, offset)}";
        return _retention.Rules.FieldName(typeId, offset);
    }

    /// <summary>
    /// Where in <paramref name="from"/> the reference to <paramref name="to"/> sits: one block read of the
    /// referrer and a scan of its pointer-aligned words (fast even for an array of a million slots).
    /// </summary>
    private int OffsetBetween(int from, int to)
    {
        ulong target = _index.AddressOf(to);
        ulong address = _index.AddressOf(from);
        int size = (int)Math.Min(_index.SizeOf(from), 256UL << 20);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            int read = heap.Runtime.DataTarget.DataReader.Read(address, buffer.AsSpan(0, size));
            ReadOnlySpan<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan(0, read & ~7));
            for (int i = 1; i < words.Length; i++)
                if (words[i] == target)
                    return i * 8;
            return 0;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public IReadOnlyList<string> RootNamesOf(int node)
    {
        if (_rootNames is null)
        {
            _rootNames = new Dictionary<int, List<string>>();
            RootSet roots = _retention.Roots;
            for (int r = 0; r < roots.Objects.Length; r++)
            {
                int target = _index.IndexOf(roots.Objects[r]);
                if (target < 0)
                    target = _index.IndexOfContaining(roots.Objects[r]);
                if (target < 0)
                    continue;
                string name = roots.Names[roots.NameIds[r]];
                List<string> names = _rootNames.TryGetValue(target, out var list) ? list : _rootNames[target] = new();
                if (!names.Contains(name))
                    names.Add(name);
            }
        }
        if (_rootNames.TryGetValue(node, out var found))
            return found;
        // Frozen objects are roots without a root entry.
        return analysis.IsRootNode(node) ? [_retention.RootName(-_retention.Roots.Names.Count - 1)] : [];
    }

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
            foreach (int referrer in analysis.Graph.Predecessors(node))
                if (analysis.IsLive(referrer) && toward.TryAdd(referrer, node))
                    queue.Enqueue(referrer);
        }
        return found;
    }

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
            nodes.Add(new BackrefNode(id, Describe(node), "object", RootNamesOf(node), level, analysis.IsLive(node)) { Length = length, Value = value });
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
            foreach (int referrer in analysis.Graph.Predecessors(node).ToArray().Distinct())
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
                cuts.Add(new BackrefCut(to, ownObjects, "objects of its collectible types held through it"));
            if (level >= depth)
            {
                if (referrers.Count > 0)
                    cuts.Add(new BackrefCut(to, referrers.Count, "depth limit"));
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
                cuts.Add(new BackrefCut(to, hidden, "node limit"));
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
        (ulong Handle, ulong Target, string Kind)[] handles = _retention.Roots.WeakHandles.Where(h => h.Target == address).ToArray();
        if (handles.Length == 0)
            return;

        // WeakReference objects keep their handle in _taggedHandle (low bit: tracks resurrection).
        var owners = new Dictionary<ulong, int>();
        for (int t = 0; t < _index.Types.Count; t++)
        {
            string name = _index.Types[t].Name ?? "";
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

        foreach ((ulong handle, _, string kind) in handles)
        {
            int handleId = nodes.Count;
            nodes.Add(new BackrefNode(handleId, null, kind, [$"{kind.Replace('-', ' ')} 0x{handle:x}"], 1, false));
            edges.Add(new BackrefEdge(handleId, idOf[target], "weak", Weak: true));
            if (owners.TryGetValue(handle, out int owner))
            {
                bool seen = idOf.ContainsKey(owner);
                int ownerId = seen ? idOf[owner] : nodes.Count;
                if (!seen)
                {
                    idOf[owner] = ownerId;
                    nodes.Add(new BackrefNode(ownerId, Describe(owner), "object", RootNamesOf(owner), 2, analysis.IsLive(owner)));
                }
                edges.Add(new BackrefEdge(ownerId, handleId, "_taggedHandle", Weak: true));
            }
        }
    }

    public RetainedResult Retained(ObjectRef? target, TypeSelection? selection, IReadOnlyList<int> set, CancellationToken cancellationToken)
    {
        long shallow = set.Sum(n => (long)_index.SizeOf(n));
        long liveBytes = LiveBytes();
        if (set.Count == 1)
        {
            int node = set[0];
            if (!analysis.IsLive(node))
                return new RetainedResult(target, selection, 1, shallow, 0, 0, liveBytes);
            long[] retained = analysis.RetainedSizes(cancellationToken);
            Dominators.Tree tree = analysis.DominatorTree(cancellationToken);
            // The dominated objects: in preorder every object follows its dominator, so one pass finds the subtree.
            var inside = new Bitset(_index.ObjectCount);
            inside.TrySet(node);
            long count = 1;
            foreach (int n in tree.Preorder)
                if (n != node && tree.Idom[n] >= 0 && inside[tree.Idom[n]] && inside.TrySet(n))
                    count++;
            return new RetainedResult(target, selection, 1, shallow, count, retained[node], liveBytes);
        }
        (long setCount, long setBytes) = analysis.RetainedBySet(set.Where(analysis.IsLive).ToArray(), cancellationToken);
        return new RetainedResult(target, selection, set.Count, shallow, setCount, setBytes, liveBytes);
    }

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

    private long LiveBytes()
    {
        long bytes = 0;
        for (int i = 0; i < _index.ObjectCount; i++)
            if (analysis.IsLive(i) && !_index.Types.Layouts[_index.TypeIds[i]].IsFree)
                bytes += (long)_index.SizeOf(i);
        return bytes;
    }
}
