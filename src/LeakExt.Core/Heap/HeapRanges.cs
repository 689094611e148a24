using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>
/// What a word read from the heap can be, judged from the target's memory map, for a walk that
/// trusts nothing it reads: a reference points into the GC heap (the hull of its segments, or a
/// frozen segment); a MethodTable lies in the runtime's loader heaps or a module image, never in the
/// GC heap. Used only to reject garbage cheaply before the DAC is asked.
/// Layout: the hull (two words) and sorted, merged start/end arrays (frozen segments, all segments,
/// places MethodTables live: a few hundred entries). Cost: O(1) for the hull, O(log n) otherwise.
/// </summary>
internal sealed class HeapRanges
{
    /// <summary>Below this no MethodTable lives (the null page and low reserved memory).</summary>
    private const ulong LowestMethodTable = 0x10000;

    /// <summary>Above this no user-mode address lies on x64 (47 bits) or arm64 (48 bits).</summary>
    private const ulong HighestMethodTable = 1UL << 48;

    private readonly ulong _hullStart, _hullLength;
    private readonly (ulong[] Starts, ulong[] Ends) _frozen, _segments, _typeHomes;

    public HeapRanges(HeapSegmentInfo[] segments, IEnumerable<(ulong Start, ulong End)> typeHomes)
    {
        ulong low = ulong.MaxValue, high = 0;
        foreach (HeapSegmentInfo segment in segments)
        {
            if (segment.Kind == GCSegmentKind.Frozen)
                continue;
            low = Math.Min(low, segment.Start);
            high = Math.Max(high, segment.End);
        }
        (_hullStart, _hullLength) = high > low ? (low, high - low) : (0, 0);
        _frozen = Merge(segments.Where(s => s.Kind == GCSegmentKind.Frozen).Select(s => (s.Start, s.End)));
        _segments = Merge(segments.Select(s => (s.Start, s.End)));
        _typeHomes = Merge(typeHomes);
    }

    /// <summary>The runtime's loader heaps and module images, where its MethodTables are (empty when the runtime does not list them).</summary>
    public static IEnumerable<(ulong Start, ulong End)> TypeHomes(ClrRuntime runtime)
    {
        var homes = new List<(ulong, ulong)>();
        try
        {
            foreach (ClrNativeHeapInfo heap in runtime.EnumerateClrNativeHeaps())
                if (heap.MemoryRange.Length > 0 && !Growth.RuntimeMemoryMap.IsGcFreeRegion(heap.Kind))
                    homes.Add((heap.MemoryRange.Start, heap.MemoryRange.End));
            foreach (ClrModule module in runtime.EnumerateModules())
                if (module.ImageBase != 0 && module.Size > 0)
                    homes.Add((module.ImageBase, module.ImageBase + module.Size));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or NotSupportedException)
        {
            // Older runtimes do not list their native heaps: MethodTables are then judged without them.
            homes.Clear();
        }
        return homes;
    }

    /// <summary>Whether a non-null word could be a reference: it points into the GC heap.</summary>
    public bool CouldBeReference(ulong value) => value - _hullStart < _hullLength || Contains(_frozen, value);

    /// <summary>Whether a word could be a MethodTable pointer (the DAC has the last word; this only filters).</summary>
    public bool CouldBeMethodTable(ulong value)
    {
        if ((value & 7) != 0 || value < LowestMethodTable || value >= HighestMethodTable)
            return false;
        if (_typeHomes.Starts.Length > 0)
            return Contains(_typeHomes, value);
        return !Contains(_segments, value);
    }

    private static bool Contains((ulong[] Starts, ulong[] Ends) ranges, ulong value)
    {
        int lo = 0, hi = ranges.Starts.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (value < ranges.Starts[mid])
                hi = mid - 1;
            else if (value >= ranges.Ends[mid])
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }

    private static (ulong[] Starts, ulong[] Ends) Merge(IEnumerable<(ulong Start, ulong End)> ranges)
    {
        var starts = new List<ulong>();
        var ends = new List<ulong>();
        foreach ((ulong start, ulong end) in ranges.Where(r => r.End > r.Start).OrderBy(r => r.Start))
        {
            if (ends.Count > 0 && start <= ends[^1])
            {
                ends[^1] = Math.Max(ends[^1], end);
                continue;
            }
            starts.Add(start);
            ends.Add(end);
        }
        return (starts.ToArray(), ends.ToArray());
    }
}
