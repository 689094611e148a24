using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>Answers "who holds it, and what would I get back" over a <see cref="RetentionAnalysis"/>: what the queries share; each command's query is in its own file (RootPathQuery, BackrefsQuery, RetainedQuery, DominatorsQuery).</summary>
internal sealed partial class RetentionQueries(RetentionAnalysis analysis, ClrHeap heap, IProgress<WalkProgress>? progress = null)
{
    private readonly HeapIndex _index = analysis.Index;
    private readonly RetentionResult _retention = analysis.Retention;
    private Dictionary<int, List<string>>? _rootNames;

    public ObjectRef Describe(int node) =>
        new(_index.AddressOf(node), _index.Types.NameOf(_index.TypeIds[node]), (long)_index.SizeOf(node));

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
            names[t] = _index.Types.NameOf(t);
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
        long offset = OffsetBetween(from, to);
        ref TypeLayout layout = ref _index.Types.Layouts[typeId];
        if (offset < 0)
            return "?";
        if (layout.ComponentSize == 8 && layout.SeriesCount > 0 && offset >= 16)
            return $"[{(offset - 16) / 8}]";
        if (layout.ComponentSize > 0 && layout.SeriesCount < 0 && offset >= 16)
            return $"[{(offset - 16) / layout.ComponentSize}].{_retention.Rules.FieldName(typeId, offset)}";
        return _retention.Rules.FieldName(typeId, offset);
    }

    /// <summary>Bytes read per block by <see cref="OffsetBetween"/>.</summary>
    private const int OffsetScanBlock = 1 << 20;

    /// <summary>
    /// Where in <paramref name="from"/> the reference to <paramref name="to"/> sits, or -1 when no
    /// word of it does: a scan of its pointer-aligned words, read in 1 MiB blocks, so an array of
    /// hundreds of millions of slots (gigabytes; offsets past 2^31) is scanned whole in bounded memory.
    /// </summary>
    private long OffsetBetween(int from, int to)
    {
        ulong target = _index.AddressOf(to);
        ulong address = _index.AddressOf(from);
        ulong size = _index.SizeOf(from) & ~7UL;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(OffsetScanBlock);
        try
        {
            for (ulong at = 0; at < size; at += OffsetScanBlock)
            {
                int length = (int)Math.Min(OffsetScanBlock, size - at);
                int read = heap.Runtime.DataTarget.DataReader.Read(address + at, buffer.AsSpan(0, length));
                ReadOnlySpan<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan(0, Math.Max(read, 0) & ~7));
                // Word 0 is the MethodTable, not a field.
                for (int i = at == 0 ? 1 : 0; i < words.Length; i++)
                    if (words[i] == target)
                        return (long)at + i * 8L;
                if (read < length)
                    break;
            }
            return -1;
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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private long LiveBytes()
    {
        long bytes = 0;
        for (int i = 0; i < _index.ObjectCount; i++)
            if (analysis.IsLive(i) && !_index.Types.Layouts[_index.TypeIds[i]].IsFree)
                bytes += (long)_index.SizeOf(i);
        return bytes;
    }
}
