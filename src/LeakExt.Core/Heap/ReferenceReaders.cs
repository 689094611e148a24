using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Lists the non-null references held by one object (as addresses) into a reusable buffer.</summary>
internal interface IReferenceReader
{
    int Read(int index, ulong address, ref ulong[] buffer);
}

/// <summary>Decodes references from the object's bytes with its cached GC descriptor series.</summary>
internal readonly unsafe struct FastReferenceReader : IReferenceReader
{
    private readonly HeapIndex _index;
    private readonly SegmentMemory _memory;

    public FastReferenceReader(HeapIndex index, SegmentMemory memory)
    {
        _index = index;
        _memory = memory;
    }

    public int Read(int index, ulong address, ref ulong[] buffer)
    {
        TypeTable types = _index.Types;
        ref TypeLayout layout = ref types.Layouts[_index.TypeIds[index]];
        if (!layout.HasReferences)
            return 0;

        int segment = _index.FindSegment(address);
        byte* obj = _memory.Base(segment) + (address - _index.Segments[segment].Start);
        long size = (long)_index.SizeOf(index);
        GcSeries[] series = types.Series;
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

    public int Read(int index, ulong address, ref ulong[] buffer)
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
