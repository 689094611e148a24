using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Decodes the objects of one segment from its bytes, and believes none of them on their word:
/// the heap is where a damaged dump lies. Both readers walk with this one set of rules, the fast
/// one over the mapped dump, the baseline over bytes read through the target's data reader.
///
/// Per object (the fast path, a few compares): its MethodTable must be a known type, and its
/// extent, from that type's layout and its length field, must end inside the segment. A string's
/// terminating NUL must be there, a reference array's slots must point into the GC heap, and
/// nothing in the small object heap may be as large as a large object: otherwise the object may
/// have swallowed its neighbours, and it is kept only if no object chain starts inside it. When an object does not decode, the walk counts one corrupt object, records
/// the bytes it cannot account for, and resynchronises at the next plausible object: a word that is
/// a MethodTable of an object that fits, followed by another such object (or the segment's end, or
/// an allocation context). If the object before it has a length field (a free block's excepted), that
/// length may have carried the walk astray: when the scan from that object's smallest possible end
/// finds an object before the failure, that object is the corrupt one. Free blocks go to the index's free table, not its objects.
/// Cost: O(objects) with no allocation; a corrupt stretch costs one scan of 8-byte steps over it.
/// </summary>
internal unsafe struct SegmentWalker
{
    public const ulong MinObjectSize = 24;

    /// <summary>A string's characters start after its MethodTable and length.</summary>
    private const ulong StringCharacters = 12;

    /// <summary>The runtime's default threshold for the large object heap (a raised GCLOHThreshold only costs a scan).</summary>
    private const ulong LargeObject = 85000;

    private const int NoType = -1;

    private readonly HeapSegmentInfo _segment;
    private readonly byte* _data;
    private readonly ulong _start, _end;
    private readonly HeapIndexBuilder _builder;
    private readonly TypeIdCache _cache;
    private readonly HeapRanges _ranges;
    private readonly (ulong Start, ulong End)[] _contexts;
    private readonly ulong _largestPlausible;
    private int _context;
    private ulong _nextContext;

    /// <param name="data">The segment's bytes, [Start, End) of it and no more: every read stays inside.</param>
    /// <param name="contexts">The threads' allocation contexts, sorted by start (see <see cref="FastHeapWalker.AllocationContexts"/>).</param>
    public SegmentWalker(HeapSegmentInfo segment, byte* data, HeapIndexBuilder builder, TypeIdCache cache, HeapRanges ranges,
        (ulong Start, ulong End)[] contexts)
    {
        _segment = segment;
        _data = data;
        (_start, _end) = (segment.Start, segment.End);
        _builder = builder;
        _cache = cache;
        _ranges = ranges;
        _contexts = contexts;
        _largestPlausible = segment.IsSmallObjectHeap ? LargeObject : ulong.MaxValue;
        // The unused tail of each thread's allocation context holds no objects: the walk jumps over it.
        _context = contexts.Length;
        if (segment.SkipsAllocationContexts)
        {
            _context = 0;
            while (_context < contexts.Length && contexts[_context].Start < _start)
                _context++;
        }
        _nextContext = _context < contexts.Length ? contexts[_context].Start : ulong.MaxValue;
    }

    /// <summary>Walks the segment into the builder; <paramref name="absent"/>: its ranges missing from the dump (read as zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int segmentIndex, IReadOnlyList<(ulong Start, ulong End)> absent, CancellationToken cancellationToken)
    {
        _builder.BeginSegment(segmentIndex);
        ulong start = _start, end = _end;
        byte* data = _data;
        ulong address = start;
        // The object just before the current one (its type, or NoType after a jump), for when the current one fails.
        ulong previous = 0;
        int previousType = NoType;
        int budget = 1 << 16;
        while (address < end)
        {
            if (address >= _nextContext)
            {
                if (address == _nextContext)
                {
                    ulong next = _contexts[_context].End + MinObjectSize;
                    if (next <= address || next >= end)
                        break;
                    address = next;
                    previousType = NoType;
                }
                _context++;
                _nextContext = _context < _contexts.Length ? _contexts[_context].Start : ulong.MaxValue;
                continue;
            }

            if (end - address < MinObjectSize)
            {
                address = Resynchronise(address, previous, previousType);
                previousType = NoType;
                continue;
            }
            byte* obj = data + (address - start);
            int typeId = _cache.Lookup(*(ulong*)obj & ~3UL, address);
            if (typeId < 0)
            {
                address = Resynchronise(address, previous, previousType);
                previousType = NoType;
                continue;
            }
            ref TypeLayout layout = ref _cache.Layouts[typeId];
            ulong size = layout.BaseSize;
            if (layout.ComponentSize != 0)
            {
                ulong count = *(uint*)(obj + 8);
                if (layout.IsString)
                    count++;
                size += count * layout.ComponentSize;
            }
            if (size < MinObjectSize)
                size = MinObjectSize;
            ulong extent = (size + 7) & ~7UL;
            if (extent > end - address)
            {
                address = Resynchronise(address, previous, previousType);
                previousType = NoType;
                continue;
            }
            if (layout.ComponentSize != 0 && !layout.IsFree && (extent >= _largestPlausible || Suspicious(obj, size, ref layout)))
            {
                ulong found = FindObject(address + MinimalExtent(ref layout), address + extent);
                if (found < address + extent)
                {
                    // An object chain starts inside it: its length is a lie that swallowed its neighbours.
                    _builder.CorruptObjects++;
                    _builder.AddUnreadable(address, found);
                    address = found;
                    previousType = NoType;
                    continue;
                }
            }

            if (layout.IsFree)
                _builder.AddFree(address, size);
            else
                _builder.Add(address, typeId, size);
            previous = address;
            previousType = typeId;
            address += extent;

            if (--budget == 0)
            {
                budget = 1 << 16;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        foreach ((ulong from, ulong to) in absent)
            _builder.AddAbsent(from, to);
    }

    /// <summary>
    /// The object at <paramref name="failed"/> does not decode: counts it, finds where objects resume,
    /// records the bytes in between as unreadable, and returns where to go on.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong Resynchronise(ulong failed, ulong previous, int previousType)
    {
        _builder.CorruptObjects++;
        // A free block's length is the GC's own, and its body holds dead objects a scan would take for live ones.
        bool previousHasLength = previousType != NoType && _cache.Layouts[previousType].ComponentSize != 0 && !_cache.Layouts[previousType].IsFree;
        ulong from = previousHasLength ? previous + MinimalExtent(ref _cache.Layouts[previousType]) : failed + MinObjectSize;
        ulong found = FindObject(from, _end);
        ulong corruptFrom = failed;
        if (previousHasLength && found < failed)
        {
            _builder.RemoveLast(previous);
            corruptFrom = previous;
        }
        _builder.AddUnreadable(corruptFrom, found);
        return found;
    }

    /// <summary>A string without its terminating NUL, or a reference array with a slot that points outside the GC heap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly bool Suspicious(byte* obj, ulong size, ref TypeLayout layout)
    {
        if (layout.IsString)
        {
            ulong terminator = StringCharacters + 2UL * *(uint*)(obj + 8);
            return terminator + 2 <= size && *(ushort*)(obj + terminator) != 0;
        }
        if (layout.SeriesCount == 0)
            return false;
        var check = new SlotsPointIntoHeap(_ranges);
        GcSlots.Visit(obj, (long)size, in layout, _cache.Series, ref check);
        return check.Outside;
    }

    private struct SlotsPointIntoHeap(HeapRanges ranges) : ISlotVisitor
    {
        public bool Outside;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Slot(ulong value, long offset)
        {
            if (value == 0 || ranges.CouldBeReference(value))
                return true;
            Outside = true;
            return false;
        }
    }

    /// <summary>The smallest extent an object of this type can have (its length field at zero).</summary>
    private static ulong MinimalExtent(ref TypeLayout layout)
    {
        ulong size = layout.BaseSize + (layout.IsString ? layout.ComponentSize : 0);
        return Math.Max(MinObjectSize, (size + 7) & ~7UL);
    }

    /// <summary>
    /// The first address in [<paramref name="from"/>, <paramref name="limit"/>) where objects plausibly
    /// resume, or <paramref name="limit"/>: an allocation context's start (a boundary the runtime keeps),
    /// or an object that fits and is followed by another (or ends the segment or meets a context).
    /// </summary>
    private readonly ulong FindObject(ulong from, ulong limit)
    {
        int context = _context;
        while (context < _contexts.Length && _contexts[context].Start < from)
            context++;
        // Inside a context's unused tail nothing starts before its end.
        if (context > 0 && _contexts[context - 1].Start < from && from < _contexts[context - 1].End + MinObjectSize
            && _contexts[context - 1].Start >= _start && _segment.SkipsAllocationContexts)
            from = _contexts[context - 1].End + MinObjectSize;
        ulong contextStart = context < _contexts.Length ? _contexts[context].Start : ulong.MaxValue;
        for (ulong candidate = (from + 7) & ~7UL; candidate < limit && candidate < _end; candidate += 8)
        {
            if (candidate >= contextStart)
                return Math.Min(contextStart, limit);
            ulong extent = Extent(candidate);
            if (extent == 0)
                continue;
            ulong next = candidate + extent;
            if (next == _end || next == contextStart || Extent(next) != 0)
                return candidate;
        }
        return limit;
    }

    /// <summary>The extent of a plausible object at <paramref name="address"/> that fits in the segment, or 0.</summary>
    private readonly ulong Extent(ulong address)
    {
        if (address >= _end || _end - address < MinObjectSize)
            return 0;
        byte* obj = _data + (address - _start);
        ulong methodTable = *(ulong*)obj & ~3UL;
        if (!_ranges.CouldBeMethodTable(methodTable))
            return 0;
        int typeId = _cache.Lookup(methodTable, address);
        if (typeId < 0)
            return 0;
        ref TypeLayout layout = ref _cache.Layouts[typeId];
        ulong size = layout.BaseSize;
        if (layout.ComponentSize != 0)
            size += (*(uint*)(obj + 8) + (layout.IsString ? 1UL : 0UL)) * layout.ComponentSize;
        ulong extent = (Math.Max(size, MinObjectSize) + 7) & ~7UL;
        return extent <= _end - address ? extent : 0;
    }
}
