using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Collects the objects of a contiguous run of segments, in address order, for one walker
/// thread. Type ids and sizes go into 64K-element chunks (no doubling copies: 6 B per object
/// plus at most one partly used chunk; sizes from 64 KiB on in a side table), which become the index's <see cref="ObjectColumn{T}"/>s
/// without a copy; start bits go straight into the shared bitmap, whose
/// words are disjoint between segments. Free blocks are not objects: they go to their own table
/// (16 B per block, in arrays that double), as do the ranges the walk could not decode (16 B per range, few).
/// <see cref="Combine"/> joins the parts into one index.
/// </summary>
internal sealed class HeapIndexBuilder
{
    private const int ChunkSize = ObjectColumn<int>.BlockSize;

    private readonly HeapSegmentInfo[] _segments;
    private readonly ulong[] _startBits;
    private readonly List<int[]> _typeChunks = new();
    private readonly List<ushort[]> _sizeChunks = new();
    private readonly List<int> _ownSegments = new();
    private readonly Dictionary<int, ulong> _largeSizes = new();
    private ulong[] _freeStarts = new ulong[256], _freeSizes = new ulong[256];
    private int _freeCount;
    private readonly List<(ulong Start, ulong End)> _unreadable = new();
    private int[] _types = [];
    private ushort[] _sizes = [];
    private int _count;
    private int _segment = -1;
    private ulong _segmentStart;
    private long _segmentFirstWord;
    private int _segmentFirstUnreadable;

    /// <summary>Places where the walk met bytes that are no object: each is one corrupt object.</summary>
    public long CorruptObjects { get; set; }

    /// <summary>Heap bytes that hold no decodable object (corrupt, or absent from the dump), skipped.</summary>
    public long UnreadableBytes { get; private set; }

    public HeapIndexBuilder(HeapSegmentInfo[] segments, ulong[] startBits)
    {
        _segments = segments;
        _startBits = startBits;
    }

    public int Count => _count;

    /// <summary>Numbers the segments' bitmap words and allocates the shared start bitmap (1 bit per 8 heap bytes).</summary>
    public static ulong[] AllocateStartBits(HeapSegmentInfo[] segments)
    {
        long words = 0;
        foreach (HeapSegmentInfo segment in segments)
        {
            segment.FirstWord = words;
            words += segment.WordCount;
        }
        if (words > Array.MaxLength)
            throw new LeakExtException("the GC heap's segments span more than 1 TiB; LeakExt indexes at most that.");
        return PageAdvice.Populated(new ulong[words]);
    }

    public void BeginSegment(int segment)
    {
        EndSegment();
        _segment = segment;
        _ownSegments.Add(segment);
        _segmentStart = _segments[segment].Start;
        _segmentFirstWord = _segments[segment].FirstWord;
        _segments[segment].FirstObject = _count;
        _segments[segment].FirstFree = _freeCount;
        _segmentFirstUnreadable = _unreadable.Count;
    }

    private void EndSegment()
    {
        if (_segment >= 0)
        {
            _segments[_segment].ObjectCount = _count - _segments[_segment].FirstObject;
            _segments[_segment].FreeCount = _freeCount - _segments[_segment].FirstFree;
        }
        _segment = -1;
    }

    /// <summary>A free block (the GC's free space between objects): recorded as space, not as an object.</summary>
    public void AddFree(ulong address, ulong size)
    {
        if (_freeCount == _freeStarts.Length)
        {
            _freeStarts = Doubled(_freeStarts, _freeCount);
            _freeSizes = Doubled(_freeSizes, _freeCount);
        }
        _freeStarts[_freeCount] = address;
        _freeSizes[_freeCount++] = size;
    }

    /// <summary>A copy twice as long, its pages mapped in one call (a fault per fresh page costs more than the copy: <see cref="PageAdvice"/>).</summary>
    private static ulong[] Doubled(ulong[] values, int count)
    {
        ulong[] doubled = PageAdvice.Populated(new ulong[2L * values.Length <= Array.MaxLength ? 2 * values.Length : Array.MaxLength]);
        values.AsSpan(0, count).CopyTo(doubled);
        return doubled;
    }

    /// <summary>Takes back the object added last, at <paramref name="address"/> (found to be corrupt after all).</summary>
    public void RemoveLast(ulong address)
    {
        _count--;
        ulong slot = (address - _segmentStart) >> 3;
        _startBits[_segmentFirstWord + (long)(slot >> 6)] &= ~(1UL << (int)(slot & 63));
        _largeSizes.Remove(_count);
        if ((_count & (ChunkSize - 1)) == 0)
        {
            // The removed object was the only one of the last chunk: drop the chunk, so chunks stay full.
            _typeChunks.RemoveAt(_typeChunks.Count - 1);
            _sizeChunks.RemoveAt(_sizeChunks.Count - 1);
            _types = _typeChunks.Count > 0 ? _typeChunks[^1] : [];
            _sizes = _sizeChunks.Count > 0 ? _sizeChunks[^1] : [];
        }
    }

    /// <summary>
    /// Counts the bytes of [start, end), a range of the current segment absent from the dump (it read as
    /// zero), that no unreadable range already counts: those inside objects, whose contents are lost.
    /// </summary>
    public void AddAbsent(ulong start, ulong end)
    {
        long covered = 0;
        for (int i = _segmentFirstUnreadable; i < _unreadable.Count; i++)
        {
            ulong from = Math.Max(start, _unreadable[i].Start), to = Math.Min(end, _unreadable[i].End);
            if (to > from)
                covered += (long)(to - from);
        }
        UnreadableBytes += (long)(end - start) - covered;
    }

    /// <summary>Records [start, end) as bytes that hold no decodable object (ranges arrive in address order).</summary>
    public void AddUnreadable(ulong start, ulong end)
    {
        if (end <= start)
            return;
        UnreadableBytes += (long)(end - start);
        if (_unreadable.Count > _segmentFirstUnreadable && _unreadable[^1].End == start)
            _unreadable[^1] = (_unreadable[^1].Start, end);
        else
            _unreadable.Add((start, end));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong address, int typeId, ulong size)
    {
        int within = _count & (ChunkSize - 1);
        if (within == 0)
            NewChunk();
        ulong slot = (address - _segmentStart) >> 3;
        _startBits[_segmentFirstWord + (long)(slot >> 6)] |= 1UL << (int)(slot & 63);
        _types[within] = typeId;
        if (size >= HeapIndex.LargeSize)
        {
            _largeSizes[_count] = size;
            size = HeapIndex.LargeSize;
        }
        _sizes[within] = (ushort)size;
        _count++;
    }

    private void NewChunk()
    {
        if (_count >= Array.MaxLength - ChunkSize)
            throw new LeakExtException("the heap has more objects than LeakExt can index (2^31).");
        _types = PageAdvice.Populated(new int[ChunkSize]);
        _sizes = PageAdvice.Populated(new ushort[ChunkSize]);
        _typeChunks.Add(_types);
        _sizeChunks.Add(_sizes);
    }

    /// <summary>Joins the parts (each a contiguous run of segments, in address order) into one index.</summary>
    public static HeapIndex Combine(HeapSegmentInfo[] segments, ulong[] startBits, IReadOnlyList<HeapIndexBuilder> parts, TypeTable types)
    {
        long total = 0;
        foreach (HeapIndexBuilder part in parts)
        {
            part.EndSegment();
            total += part._count;
        }
        if (total >= Array.MaxLength)
            throw new LeakExtException("the heap has more objects than LeakExt can index (2^31).");

        var typeBlocks = new List<int[]>();
        var sizeBlocks = new List<ushort[]>();
        int typeCount = 0, sizeCount = 0;
        var largeSizes = new Dictionary<int, ulong>();
        // The free blocks' tables, copied once into arrays of their final length.
        long freeTotal = parts.Sum(p => (long)p._freeCount);
        if (freeTotal >= Array.MaxLength)
            throw new LeakExtException("the heap has more free blocks than LeakExt can index (2^31).");
        ulong[] freeStarts = PageAdvice.Populated(new ulong[freeTotal]), freeSizes = PageAdvice.Populated(new ulong[freeTotal]);
        int freeCount = 0;
        var unreadable = new List<(ulong Start, ulong End)>();
        long corrupt = 0, unreadableBytes = 0;
        int offset = 0;
        foreach (HeapIndexBuilder part in parts.OrderBy(p => p._ownSegments.Count == 0 ? ulong.MaxValue : segments[p._ownSegments[0]].Start))
        {
            // The parts' chunks become the index's blocks: only a part's first gap-fill moves values.
            ObjectColumn<int>.Append(typeBlocks, ref typeCount, part._typeChunks, part._count);
            ObjectColumn<ushort>.Append(sizeBlocks, ref sizeCount, part._sizeChunks, part._count);
            part._typeChunks.Clear();
            part._sizeChunks.Clear();
            foreach (int segment in part._ownSegments)
            {
                segments[segment].FirstObject += offset;
                segments[segment].FirstFree += freeCount;
            }
            foreach ((int local, ulong size) in part._largeSizes)
                largeSizes[local + offset] = size;
            part._freeStarts.AsSpan(0, part._freeCount).CopyTo(freeStarts.AsSpan(freeCount));
            part._freeSizes.AsSpan(0, part._freeCount).CopyTo(freeSizes.AsSpan(freeCount));
            freeCount += part._freeCount;
            unreadable.AddRange(part._unreadable);
            corrupt += part.CorruptObjects;
            unreadableBytes += part.UnreadableBytes;
            offset += part._count;
        }
        var typeIds = new ObjectColumn<int>(typeBlocks, typeCount);
        var sizes = new ObjectColumn<ushort>(sizeBlocks, sizeCount);
        return new HeapIndex(segments, startBits, typeIds, sizes, largeSizes, (int)total, types, corrupt)
        {
            FreeStarts = freeStarts,
            FreeSizes = freeSizes,
            Unreadable = unreadable.ToArray(),
            UnreadableBytes = unreadableBytes,
        };
    }
}
