using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Collects the objects of a contiguous run of segments, in address order, for one walker
/// thread. Type ids and sizes go into 64K-element chunks (no doubling copies: 8 B per object
/// plus at most one partly used chunk); start bits go straight into the shared bitmap, whose
/// words are disjoint between segments. <see cref="Combine"/> joins the parts into one index.
/// </summary>
internal sealed class HeapIndexBuilder
{
    private const int ChunkShift = 16;
    private const int ChunkSize = 1 << ChunkShift;

    private readonly HeapSegmentInfo[] _segments;
    private readonly ulong[] _startBits;
    private readonly List<int[]> _typeChunks = new();
    private readonly List<uint[]> _sizeChunks = new();
    private readonly List<int> _ownSegments = new();
    private readonly Dictionary<int, ulong> _hugeSizes = new();
    private int[] _types = [];
    private uint[] _sizes = [];
    private int _count;
    private int _segment = -1;
    private ulong _segmentStart;
    private long _segmentFirstWord;

    public long CorruptObjects { get; set; }

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
        return new ulong[words];
    }

    public void BeginSegment(int segment)
    {
        EndSegment();
        _segment = segment;
        _ownSegments.Add(segment);
        _segmentStart = _segments[segment].Start;
        _segmentFirstWord = _segments[segment].FirstWord;
        _segments[segment].FirstObject = _count;
    }

    private void EndSegment()
    {
        if (_segment >= 0)
            _segments[_segment].ObjectCount = _count - _segments[_segment].FirstObject;
        _segment = -1;
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
        if (size >= uint.MaxValue)
        {
            _hugeSizes[_count] = size;
            size = uint.MaxValue;
        }
        _sizes[within] = (uint)size;
        _count++;
    }

    private void NewChunk()
    {
        if (_count >= Array.MaxLength - ChunkSize)
            throw new LeakExtException("the heap has more objects than LeakExt can index (2^31).");
        _types = new int[ChunkSize];
        _sizes = new uint[ChunkSize];
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

        int[] typeIds = new int[total];
        uint[] sizes = new uint[total];
        var hugeSizes = new Dictionary<int, ulong>();
        long corrupt = 0;
        int offset = 0;
        foreach (HeapIndexBuilder part in parts.OrderBy(p => p._ownSegments.Count == 0 ? ulong.MaxValue : segments[p._ownSegments[0]].Start))
        {
            for (int c = 0; c < part._typeChunks.Count; c++)
            {
                int length = Math.Min(ChunkSize, part._count - c * ChunkSize);
                Array.Copy(part._typeChunks[c], 0, typeIds, offset + c * ChunkSize, length);
                Array.Copy(part._sizeChunks[c], 0, sizes, offset + c * ChunkSize, length);
            }
            part._typeChunks.Clear();
            part._sizeChunks.Clear();
            foreach (int segment in part._ownSegments)
                segments[segment].FirstObject += offset;
            foreach ((int local, ulong size) in part._hugeSizes)
                hugeSizes[local + offset] = size;
            corrupt += part.CorruptObjects;
            offset += part._count;
        }
        return new HeapIndex(segments, startBits, typeIds, sizes, hugeSizes, (int)total, types, corrupt);
    }
}
