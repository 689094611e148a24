using System.Buffers.Binary;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>How to size an object of one MethodTable and find its references (from the type's GC descriptor).</summary>
internal struct TypeLayout
{
    public uint BaseSize;
    public uint ComponentSize;
    public bool IsString;
    public bool IsFree;
    /// <summary>First entry in <see cref="TypeTable.Series"/>; SeriesCount &gt; 0: plain series, &lt; 0: a repeating (value-type array) pattern.</summary>
    public int FirstSeries;
    public int SeriesCount;
    /// <summary>For a repeating pattern: offset of the first element's references.</summary>
    public long RepeatStart;
    /// <summary>For a type of a collectible assembly, its LoaderAllocator object, which each instance keeps alive; else 0.</summary>
    public ulong LoaderAllocator;

    public readonly bool HasReferences => SeriesCount != 0 || LoaderAllocator != 0;
}

/// <summary>One GC descriptor series: plain (Size, Offset) or repeating (Size = pointer count, Offset = bytes to skip).</summary>
internal readonly record struct GcSeries(long Size, long Offset);

/// <summary>
/// A thread's own direct-mapped MethodTable → type id cache in front of a <see cref="TypeTable"/>
/// (4,096 entries, 48 KiB), so the common case is two array reads and no lock.
/// </summary>
internal sealed class TypeIdCache(TypeTable table, bool mayAdd)
{
    private const int Size = 4096;
    private readonly ulong[] _methodTables = new ulong[Size];
    private readonly int[] _ids = new int[Size];

    /// <summary>The layouts as of the last miss; every id this cache returned is in it.</summary>
    public TypeLayout[] Layouts { get; private set; } = table.Layouts;

    /// <summary>The GC series as of the last miss, with those of every id this cache returned.</summary>
    public GcSeries[] Series { get; private set; } = table.Series;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Lookup(ulong methodTable, ulong objectAddress = 0)
    {
        int slot = (int)(methodTable >> 3) & (Size - 1);
        if (_methodTables[slot] == methodTable && methodTable != 0)
            return _ids[slot];
        return Miss(methodTable, objectAddress, slot);
    }

    private int Miss(ulong methodTable, ulong objectAddress, int slot)
    {
        int id = mayAdd ? table.GetOrAddShared(methodTable, objectAddress) : table.Find(methodTable);
        if (id >= 0)
        {
            _methodTables[slot] = methodTable;
            _ids[slot] = id;
            Layouts = table.Layouts;
            Series = table.Series;
        }
        return id;
    }
}

/// <summary>
/// Every MethodTable the walk meets, numbered densely (type ids), with its layout cached.
/// Layout: a MethodTable → id dictionary (one entry per distinct type, a few thousand), and
/// parallel arrays indexed by id: the ClrType, the <see cref="TypeLayout"/> (32 B) and a shared
/// pool of GC series (16 B each). Lookups are O(1); each new type costs one DAC call and one
/// small memory read for its GC descriptor.
/// </summary>
internal sealed class TypeTable
{
    private const int PointerSize = 8;

    private readonly ClrHeap _heap;
    private readonly IDataReader _reader;
    private readonly Dictionary<ulong, int> _idByMethodTable = new();
    private readonly List<ClrType> _types = new();
    private readonly TypeNames _typeNames;
    private string?[] _names = new string?[256];
    private TypeLayout[] _layouts = new TypeLayout[256];
    private GcSeries[] _series = new GcSeries[1024];
    private int _seriesCount;
    private ulong _lastMethodTable;
    private int _lastId = -1;

    public TypeTable(ClrHeap heap, IDataReader reader)
    {
        _heap = heap;
        _reader = reader;
        _typeNames = new TypeNames(heap, reader);
    }

    public int Count => _types.Count;

    /// <summary>Layouts indexed by type id (the array may be longer than <see cref="Count"/>).</summary>
    public TypeLayout[] Layouts => _layouts;

    public GcSeries[] Series => _series;

    /// <summary>Types whose GC descriptor could not be read: their references are not followed.</summary>
    public int UnreadableDescriptors { get; private set; }

    public ClrType this[int id] => _types[id];

    private readonly object _gate = new();

    /// <summary>
    /// The type's name as ClrMD gives it (<see cref="TypeNames"/>: generic instantiations without a DAC
    /// call each), or "&lt;unknown type MT&gt;" where ClrMD has none. Safe from any thread once nothing is added.
    /// </summary>
    public string NameOf(int id) => TryNameOf(id) ?? $"<unknown type {_types[id].MethodTable:x}>";

    /// <summary>The type's name as ClrMD gives it, or null; computed once per type id ("" stands for none).</summary>
    public string? TryNameOf(int id)
    {
        string?[] names = _names;
        string? name = names[id];
        if (name is null)
        {
            lock (_gate)
                name = names[id] ??= _typeNames.NameOf(_types[id]) ?? "";
        }
        return name.Length > 0 ? name : null;
    }

    /// <summary>How the names asked so far were made (read once nothing is being named).</summary>
    public TypeNames Names => _typeNames;

    /// <summary><see cref="GetOrAdd(ulong)"/> for walker threads: one at a time reaches ClrMD.</summary>
    public int GetOrAddShared(ulong methodTable, ulong objectAddress)
    {
        lock (_gate)
            return GetOrAdd(methodTable, objectAddress);
    }

    /// <summary>The id of a MethodTable already met, or -1 (no DAC call; safe while nothing is added).</summary>
    public int Find(ulong methodTable) => _idByMethodTable.TryGetValue(methodTable, out int id) ? id : -1;

    /// <summary>
    /// The type id of a MethodTable, or -1 when it is not a valid type (a corrupt object). The
    /// object's address, when known, lets ClrMD resolve array element types fully.
    /// </summary>
    public int GetOrAdd(ulong methodTable, ulong objectAddress = 0)
    {
        if (methodTable == _lastMethodTable && _lastId >= 0)
            return _lastId;
        if (!_idByMethodTable.TryGetValue(methodTable, out int id))
        {
            ClrType? type = objectAddress != 0 ? _heap.GetObjectType(objectAddress) : null;
            id = Add(methodTable, type is not null && type.MethodTable == methodTable ? type : _heap.GetTypeByMethodTable(methodTable));
        }
        if (id >= 0)
        {
            _lastMethodTable = methodTable;
            _lastId = id;
        }
        return id;
    }

    /// <summary>Adds a type that ClrMD already resolved (the per-object walk).</summary>
    public int GetOrAdd(ClrType type)
    {
        if (!_idByMethodTable.TryGetValue(type.MethodTable, out int id))
            id = Add(type.MethodTable, type);
        return id;
    }

    private int Add(ulong methodTable, ClrType? type)
    {
        if (type is null || methodTable == 0)
        {
            _idByMethodTable[methodTable] = -1;
            return -1;
        }

        int id = _types.Count;
        _types.Add(type);
        if (id == _layouts.Length)
        {
            Array.Resize(ref _layouts, id * 2);
            Array.Resize(ref _names, id * 2);
        }

        var layout = new TypeLayout
        {
            BaseSize = (uint)type.StaticSize,
            ComponentSize = (uint)type.ComponentSize,
            IsString = type.IsString,
            IsFree = type.IsFree,
        };
        if (type.ContainsPointers)
            ReadGcDescriptor(methodTable, ref layout);
        if (type.IsCollectible && type.LoaderAllocatorHandle != 0)
        {
            Span<byte> word = stackalloc byte[PointerSize];
            if (_reader.Read(type.LoaderAllocatorHandle, word) == PointerSize)
                layout.LoaderAllocator = BinaryPrimitives.ReadUInt64LittleEndian(word);
        }
        _layouts[id] = layout;
        _idByMethodTable[methodTable] = id;
        return id;
    }

    /// <summary>
    /// The GC descriptor sits just below the MethodTable: a series count at MT-8, then series
    /// growing downwards. Positive count: (size, offset) pairs, size relative to the object size.
    /// Negative count: a start offset at MT-16, then -count (pointers, skip) half-word pairs.
    /// </summary>
    private void ReadGcDescriptor(ulong methodTable, ref TypeLayout layout)
    {
        Span<byte> word = stackalloc byte[PointerSize];
        if (_reader.Read(methodTable - PointerSize, word) != PointerSize)
        {
            UnreadableDescriptors++;
            return;
        }
        long seriesCount = BinaryPrimitives.ReadInt64LittleEndian(word);
        if (seriesCount == 0 || Math.Abs(seriesCount) > 1_000_000)
        {
            UnreadableDescriptors++;
            return;
        }

        int count = (int)Math.Abs(seriesCount);
        int descriptorSize = seriesCount > 0 ? PointerSize + count * 2 * PointerSize : 2 * PointerSize + count * PointerSize;
        byte[] data = new byte[descriptorSize];
        if (_reader.Read(methodTable - (ulong)descriptorSize, data) != descriptorSize)
        {
            UnreadableDescriptors++;
            return;
        }

        EnsureSeriesCapacity(count);
        layout.FirstSeries = _seriesCount;
        // Walk from the highest series down, the order the runtime and ClrMD use. A series that would
        // reach below the object's first field, or a pattern that would not move forward, is a damaged
        // descriptor: the type's references are then not followed rather than read from anywhere.
        int highest = descriptorSize - 3 * PointerSize;
        bool valid = true;
        if (seriesCount > 0)
        {
            for (int i = 0; i < count; i++)
            {
                int at = highest - i * 2 * PointerSize;
                long size = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at));
                long offset = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at + PointerSize));
                valid &= offset is >= PointerSize and <= int.MaxValue && size is > int.MinValue and < int.MaxValue;
                _series[_seriesCount + i] = new GcSeries(size, offset);
            }
            layout.SeriesCount = count;
        }
        else
        {
            layout.RepeatStart = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(highest + PointerSize));
            valid &= layout.RepeatStart is >= PointerSize and <= int.MaxValue;
            for (int i = 0; i < count; i++)
            {
                int at = highest - i * PointerSize;
                int pointers = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
                int skip = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at + PointerSize / 2));
                valid &= pointers >= 0 && skip >= 0;
                _series[_seriesCount + i] = new GcSeries(pointers, skip);
            }
            layout.SeriesCount = -count;
        }
        if (!valid)
        {
            UnreadableDescriptors++;
            layout.SeriesCount = 0;
            return;
        }
        _seriesCount += count;
    }

    private void EnsureSeriesCapacity(int more)
    {
        if (_seriesCount + more > _series.Length)
            Array.Resize(ref _series, Math.Max(_series.Length * 2, _seriesCount + more));
    }
}
