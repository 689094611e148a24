using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Collects objects in address order, segment by segment, into the arrays of a <see cref="HeapIndex"/>.
/// TypeIds and Sizes grow by doubling (at most 2× the final 8 B per object while building).
/// </summary>
internal sealed class HeapIndexBuilder
{
    private readonly HeapSegmentInfo[] _segments;
    private readonly TypeTable _types;
    private readonly ulong[] _startBits;
    private readonly Dictionary<int, ulong> _hugeSizes = new();
    private int[] _typeIds;
    private uint[] _sizes;
    private int _count;
    private int _segment = -1;
    private ulong _segmentStart;
    private long _segmentFirstWord;

    public long CorruptObjects { get; set; }

    public HeapIndexBuilder(HeapSegmentInfo[] segments, TypeTable types)
    {
        _segments = segments;
        _types = types;
        long words = 0;
        foreach (HeapSegmentInfo segment in segments)
        {
            segment.FirstWord = words;
            words += segment.WordCount;
        }
        _startBits = new ulong[words];
        long estimate = Math.Clamp(segments.Sum(s => (long)(s.End - s.Start)) / 64, 1024, 1 << 24);
        _typeIds = new int[estimate];
        _sizes = new uint[estimate];
    }

    public int Count => _count;

    public void BeginSegment(int segment)
    {
        EndSegment();
        _segment = segment;
        _segmentStart = _segments[segment].Start;
        _segmentFirstWord = _segments[segment].FirstWord;
        _segments[segment].FirstObject = _count;
    }

    private void EndSegment()
    {
        if (_segment >= 0)
            _segments[_segment].ObjectCount = _count - _segments[_segment].FirstObject;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong address, int typeId, ulong size)
    {
        if (_count == _typeIds.Length)
            Grow();
        ulong slot = (address - _segmentStart) >> 3;
        _startBits[_segmentFirstWord + (long)(slot >> 6)] |= 1UL << (int)(slot & 63);
        _typeIds[_count] = typeId;
        if (size >= uint.MaxValue)
        {
            _hugeSizes[_count] = size;
            size = uint.MaxValue;
        }
        _sizes[_count] = (uint)size;
        _count++;
    }

    private void Grow()
    {
        int newSize = (int)Math.Min((long)_typeIds.Length * 2, Array.MaxLength);
        if (newSize == _typeIds.Length)
            throw new LeakExtException("the heap has more objects than LeakExt can index (2^31).");
        Array.Resize(ref _typeIds, newSize);
        Array.Resize(ref _sizes, newSize);
    }

    public HeapIndex Build()
    {
        EndSegment();
        return new HeapIndex(_segments, _startBits, _typeIds, _sizes, _hugeSizes, _count, _types, CorruptObjects);
    }
}
