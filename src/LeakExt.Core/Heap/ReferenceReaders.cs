using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Lists the non-null references held by one object (as addresses) into a reusable buffer.</summary>
internal interface IReferenceReader
{
    int Read(ulong address, int segment, ref ulong[] buffer);
}

/// <summary>
/// Decodes references from the object's own bytes: its MethodTable (through a direct-mapped
/// cache) gives the layout, the GC descriptor series give the reference slots. Reads only the
/// object's cache lines, no per-object index arrays.
/// </summary>
internal readonly unsafe struct FastReferenceReader : IReferenceReader
{
    private readonly HeapIndex _index;
    private readonly SegmentMemory _memory;
    private readonly TypeIdCache _cache;
    private readonly GcSeries[] _series;

    public FastReferenceReader(HeapIndex index, SegmentMemory memory)
    {
        _index = index;
        _memory = memory;
        _cache = new TypeIdCache(index.Types, mayAdd: false);
        _series = index.Types.Series;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Read(ulong address, int segment, ref ulong[] buffer)
    {
        byte* obj = _memory.Base(segment) + (address - _index.Segments[segment].Start);
        int typeId = _cache.Lookup(*(ulong*)obj & ~3UL);
        if (typeId < 0)
            return 0;
        ref TypeLayout layout = ref _cache.Layouts[typeId];
        if (!layout.HasReferences)
            return 0;

        long size = layout.BaseSize;
        if (layout.ComponentSize != 0)
            size += (long)(*(uint*)(obj + 8) + (layout.IsString ? 1u : 0u)) * layout.ComponentSize;
        if (size < 24)
            size = 24;

        GcSeries[] series = _series;
        int count = 0;
        if (layout.SeriesCount > 0)
        {
            for (int j = 0; j < layout.SeriesCount; j++)
            {
                GcSeries s = series[layout.FirstSeries + j];
                long offset = s.Offset;
                long stop = Math.Min(offset + s.Size + size, size);
                for (; offset < stop; offset += 8)
                {
                    ulong target = *(ulong*)(obj + offset);
                    if (target != 0)
                        Add(ref buffer, ref count, target);
                }
            }
        }
        else
        {
            int patterns = -layout.SeriesCount;
            long offset = layout.RepeatStart;
            while (offset < size - 8)
            {
                for (int i = 0; i < patterns; i++)
                {
                    GcSeries s = series[layout.FirstSeries + i];
                    long stop = offset + s.Size * 8;
                    do
                    {
                        if (offset + 8 > size)
                            return count;
                        ulong target = *(ulong*)(obj + offset);
                        if (target != 0)
                            Add(ref buffer, ref count, target);
                        offset += 8;
                    } while (offset < stop);
                    offset += s.Offset;
                }
            }
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref ulong[] buffer, ref int count, ulong target)
    {
        if (count == buffer.Length)
            Array.Resize(ref buffer, buffer.Length * 2);
        buffer[count++] = target;
    }
}

/// <summary>The baseline: ClrMD's per-object reference enumeration.</summary>
internal readonly struct ClrMdReferenceReader : IReferenceReader
{
    private readonly ClrHeap _heap;

    public ClrMdReferenceReader(ClrHeap heap) => _heap = heap;

    public int Read(ulong address, int segment, ref ulong[] buffer)
    {
        int count = 0;
        foreach (ulong target in _heap.GetObject(address).EnumerateReferenceAddresses(carefully: false, considerDependantHandles: false))
        {
            if (count == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2);
            buffer[count++] = target;
        }
        return count;
    }
}
