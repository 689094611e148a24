using System.Numerics;
using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Every object of the GC heap, numbered densely in address order (segment by segment).
/// Layout and cost, for N objects over H heap bytes:
///   StartBits — one bit per 8-byte slot of each segment: set where an object starts (H/64 bytes);
///   Rank      — objects before each 64-bit word of StartBits (4 B per word: H/128 bytes);
///   TypeIds   — the type id per object (4 B × N); Sizes — the size per object (2 B × N; sizes
///               of 65,535 B and more, large objects, go to a side table, 24 B each: <see cref="LargeSizes"/>);
///               both in the walk's own blocks (<see cref="ObjectColumn{T}"/>).
/// Free blocks are space, not objects: they are in their own table (start and size, 16 B per
/// block, in address order, each segment's run given by FirstFree/FreeCount), so nothing that
/// resolves an address or follows a reference ever meets one. Nor are the ranges the walk could
/// not decode (<see cref="Unreadable"/>).
/// Address → index is O(1): a chunk table finds the segment, then rank + popcount.
/// Index → address is O(log segments + one word scan) and meant for display, not for loops.
/// </summary>
internal sealed class HeapIndex
{
    private const int ChunkShift = 22;
    private const long MaxChunks = 1 << 22;

    private readonly int[]? _chunkToSegment;
    private readonly ulong _chunkBase;

    public HeapSegmentInfo[] Segments { get; }
    public ulong[] StartBits { get; }
    public uint[] Rank { get; }
    public ObjectColumn<int> TypeIds { get; }
    /// <summary>Each object's size in bytes, or <see cref="LargeSize"/> when it is in <see cref="LargeSizes"/>; read it with <see cref="SizeOf"/>.</summary>
    public ObjectColumn<ushort> Sizes { get; }

    /// <summary>The sizes of the objects whose size does not fit <see cref="Sizes"/>, by index (large objects: few on any heap).</summary>
    public Dictionary<int, ulong> LargeSizes { get; }

    /// <summary>The <see cref="Sizes"/> entry of an object whose size is in <see cref="LargeSizes"/>.</summary>
    public const ushort LargeSize = ushort.MaxValue;
    public int ObjectCount { get; }
    public TypeTable Types { get; }

    /// <summary>Places where the walk met bytes that were no valid object (a bad MethodTable, a length that cannot be): counted, skipped.</summary>
    public long CorruptObjects { get; }

    /// <summary>Heap bytes that hold no decodable object (corrupt, or absent from the dump); the walk resumed after them.</summary>
    public long UnreadableBytes { get; init; }

    /// <summary>The ranges behind <see cref="UnreadableBytes"/>, in address order.</summary>
    public (ulong Start, ulong End)[] Unreadable { get; init; } = [];

    /// <summary>Free blocks in address order: where each starts and its size.</summary>
    public ulong[] FreeStarts { get; init; } = [];
    public ulong[] FreeSizes { get; init; } = [];

    public HeapIndex(HeapSegmentInfo[] segments, ulong[] startBits, ObjectColumn<int> typeIds, ObjectColumn<ushort> sizes, Dictionary<int, ulong> largeSizes,
        int objectCount, TypeTable types, long corruptObjects)
    {
        Segments = segments;
        StartBits = startBits;
        TypeIds = typeIds;
        Sizes = sizes;
        LargeSizes = largeSizes;
        ObjectCount = objectCount;
        Types = types;
        CorruptObjects = corruptObjects;

        Rank = PageAdvice.Populated(new uint[startBits.Length]);
        uint running = 0;
        for (int w = 0; w < startBits.Length; w++)
        {
            Rank[w] = running;
            running += (uint)BitOperations.PopCount(startBits[w]);
        }

        if (segments.Length > 0)
        {
            _chunkBase = segments[0].Start >> ChunkShift;
            long chunks = (long)((segments[^1].End - 1) >> ChunkShift) - (long)_chunkBase + 1;
            if (chunks <= MaxChunks)
            {
                _chunkToSegment = new int[chunks];
                int s = 0;
                for (long c = 0; c < chunks; c++)
                {
                    ulong chunkStart = (ulong)((long)_chunkBase + c) << ChunkShift;
                    while (s < segments.Length && segments[s].End <= chunkStart)
                        s++;
                    _chunkToSegment[c] = s;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong SizeOf(int index)
    {
        ushort size = Sizes[index];
        return size == LargeSize ? LargeSizes[index] : size;
    }

    /// <summary>The segment holding <paramref name="address"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindSegment(ulong address)
    {
        HeapSegmentInfo[] segments = Segments;
        int s;
        if (_chunkToSegment is not null)
        {
            ulong chunk = (address >> ChunkShift) - _chunkBase;
            if (chunk >= (ulong)_chunkToSegment.Length)
                return -1;
            s = _chunkToSegment[chunk];
            while (s < segments.Length && segments[s].End <= address)
                s++;
        }
        else
        {
            s = LowerBoundByEnd(address);
        }
        return s < segments.Length && segments[s].Start <= address ? s : -1;
    }

    private int LowerBoundByEnd(ulong address)
    {
        int lo = 0, hi = Segments.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Segments[mid].End <= address)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>The dense index of the object starting at <paramref name="address"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(ulong address)
    {
        int s = FindSegment(address);
        if (s < 0 || (address & 7) != 0)
            return -1;
        return IndexInSegment(s, address);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexInSegment(int segment, ulong address)
    {
        (long word, ulong bit) = StartBitIn(segment, address);
        return (StartBits[word] & bit) == 0 ? -1 : IndexAt(word, bit);
    }

    /// <summary>
    /// Where an object starting at <paramref name="address"/> has its start bit (and mark bit: the
    /// mark bitmap has the same layout): false when no object starts there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryFindStartBit(ulong address, out long word, out ulong bit)
    {
        int segment = FindSegment(address);
        if (segment < 0 || (address & 7) != 0)
        {
            (word, bit) = (0, 0);
            return false;
        }
        (word, bit) = StartBitIn(segment, address);
        return (StartBits[word] & bit) != 0;
    }

    /// <summary>The index of the object whose start bit is <paramref name="bit"/> of word <paramref name="word"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexAt(long word, ulong bit) => (int)(Rank[word] + (uint)BitOperations.PopCount(StartBits[word] & (bit - 1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (long Word, ulong Bit) StartBitIn(int segment, ulong address)
    {
        HeapSegmentInfo info = Segments[segment];
        ulong slot = (address - info.Start) >> 3;
        return (info.FirstWord + (long)(slot >> 6), 1UL << (int)(slot & 63));
    }

    /// <summary>The object whose bytes include <paramref name="address"/> (for interior pointers), or -1.</summary>
    public int IndexOfContaining(ulong address) => IndexOfContaining(address, out _);

    /// <summary>The object whose bytes include <paramref name="address"/>, and where it starts; -1 and 0 when none.</summary>
    public int IndexOfContaining(ulong address, out ulong objectStart)
    {
        objectStart = 0;
        int s = FindSegment(address);
        if (s < 0)
            return -1;
        HeapSegmentInfo info = Segments[s];
        ulong slot = (address - info.Start) >> 3;
        long word = info.FirstWord + (long)(slot >> 6);
        ulong mask = (slot & 63) == 63 ? ulong.MaxValue : (2UL << (int)(slot & 63)) - 1;
        ulong bits = StartBits[word] & mask;
        while (bits == 0)
        {
            if (--word < info.FirstWord)
                return -1;
            bits = StartBits[word];
        }
        int bitIndex = 63 - BitOperations.LeadingZeroCount(bits);
        int index = (int)(Rank[word] + (uint)BitOperations.PopCount(bits) - 1);
        ulong start = info.Start + (ulong)(((word - info.FirstWord) << 6) + bitIndex) * 8;
        if (address >= start + Math.Max(SizeOf(index), 8))
            return -1;
        objectStart = start;
        return index;
    }

    /// <summary>The free block holding <paramref name="address"/>: its start and size; false when the address is in none.</summary>
    public bool FreeBlockContaining(ulong address, out ulong start, out ulong size)
    {
        int i = LastAtOrBefore(FreeStarts, address);
        (start, size) = i >= 0 ? (FreeStarts[i], FreeSizes[i]) : (0, 0);
        return i >= 0 && address - start < Math.Max(size, 8);
    }

    /// <summary>The undecodable range holding <paramref name="address"/>, or null.</summary>
    public (ulong Start, ulong End)? UnreadableContaining(ulong address)
    {
        // The first range that ends after the address (ranges are sorted and disjoint) holds it, or none does.
        int first = Array.FindIndex(Unreadable, r => r.End > address);
        return first >= 0 && Unreadable[first].Start <= address ? Unreadable[first] : null;
    }

    private static int LastAtOrBefore(ulong[] sorted, ulong value)
    {
        int lo = 0, hi = sorted.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found;
    }

    /// <summary>The address of object <paramref name="index"/> (display use).</summary>
    public ulong AddressOf(int index)
    {
        int lo = 0, hi = Segments.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (Segments[mid].FirstObject <= index)
                lo = mid;
            else
                hi = mid - 1;
        }
        HeapSegmentInfo info = Segments[lo];
        long first = info.FirstWord, last = first + info.WordCount - 1;
        while (first < last)
        {
            long mid = (first + last + 1) >>> 1;
            if (Rank[mid] <= (uint)index)
                first = mid;
            else
                last = mid - 1;
        }
        ulong bits = StartBits[first];
        for (uint skip = (uint)index - Rank[first]; skip > 0; skip--)
            bits &= bits - 1;
        int bit = BitOperations.TrailingZeroCount(bits);
        return info.Start + (ulong)(((first - info.FirstWord) << 6) + bit) * 8;
    }

    /// <summary>
    /// Calls the visitor for every object of a segment, in order, with its index, address and
    /// whether its bit is set in <paramref name="marks"/> (a bitmap laid out like StartBits; null = all false).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ForEachInSegment<TVisitor>(int segment, ref TVisitor visitor, ulong[]? marks = null) where TVisitor : struct, IObjectVisitor
    {
        HeapSegmentInfo info = Segments[segment];
        long end = info.FirstWord + info.WordCount;
        int index = info.FirstObject;
        ulong[] startBits = StartBits;
        for (long w = info.FirstWord; w < end; w++)
        {
            ulong bits = startBits[w];
            ulong marked = marks is null ? 0 : marks[w];
            ulong wordStart = info.Start + (ulong)((w - info.FirstWord) << 9);
            while (bits != 0)
            {
                int bit = BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                visitor.Visit(index++, wordStart + (ulong)bit * 8, (marked & (1UL << bit)) != 0);
            }
        }
    }
}

internal interface IObjectVisitor
{
    void Visit(int index, ulong address, bool marked);
}
