using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The breadth-first frontier: a FIFO of object addresses, 8 B per entry (the marker keeps a size
/// class in the address's low three bits, always zero in an object's address; the object's index is
/// found again from its address when it is read, which costs two words the read touches anyway),
/// kept in blocks of 65,536 entries (512 KiB) that are recycled as the head passes them, so the
/// memory touched is the frontier's peak length rounded up to a block, and nothing is copied as it
/// grows (a doubling ring would copy on every growth and leave the old ring behind as garbage). A heap
/// whose frontier reaches ten million objects (an array of them) holds 80 MB here at the peak.
/// </summary>
internal sealed class FrontierQueue
{
    private const int BlockShift = 16;
    private const int BlockSize = 1 << BlockShift;

    // Blocks in FIFO order: the head block first, the tail block last; spare blocks wait for reuse.
    private readonly Queue<ulong[]> _blocks = new();
    private readonly Stack<ulong[]> _spare = new();
    private ulong[] _head, _tail;
    private int _headPosition, _tailPosition;

    public FrontierQueue()
    {
        _head = _tail = NewBlock();
        _blocks.Enqueue(_head);
    }

    private static ulong[] NewBlock() => PageAdvice.Populated(new ulong[BlockSize]);

    public long Count { get; private set; }

    /// <summary>The bytes of the blocks taken so far (in use or spare): the frontier's peak, rounded up to a block.</summary>
    public long BlockBytes => (_blocks.Count + _spare.Count) * (long)BlockSize * sizeof(ulong);

    /// <summary>Lets the spare blocks go (the queue must be empty): for when the marking is over.</summary>
    public void ReleaseSpare() => _spare.Clear();

    // Enqueue and Dequeue inline into the marker's loops (which skip tiering): a call would run unoptimized code at first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(ulong entry)
    {
        if (_tailPosition == BlockSize)
            NextTailBlock();
        _tail[_tailPosition] = entry;
        _tailPosition++;
        Count++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextTailBlock()
    {
        _tail = _spare.Count > 0 ? _spare.Pop() : NewBlock();
        _blocks.Enqueue(_tail);
        _tailPosition = 0;
    }

    /// <summary>Appends entries in order, a block's worth at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EnqueueRange(ReadOnlySpan<ulong> entries)
    {
        while (entries.Length > 0)
        {
            if (_tailPosition == BlockSize)
                NextTailBlock();
            int n = Math.Min(entries.Length, BlockSize - _tailPosition);
            entries[..n].CopyTo(_tail.AsSpan(_tailPosition));
            _tailPosition += n;
            Count += n;
            entries = entries[n..];
        }
    }

    /// <summary>
    /// The oldest entries that lie together in one block, at most <paramref name="max"/> of them, not
    /// taken (<see cref="Skip"/> takes them): a batch reads them where they are. The block stays as it
    /// is until something is enqueued again. The queue must not be empty.
    /// </summary>
    public int PeekRun(int max, out ulong[] block, out int start)
    {
        if (_headPosition == BlockSize)
            NextHeadBlock();
        block = _head;
        start = _headPosition;
        int inBlock = (_head == _tail ? _tailPosition : BlockSize) - _headPosition;
        return Math.Min(max, inBlock);
    }

    /// <summary>Takes the <paramref name="count"/> oldest entries, which <see cref="PeekRun"/> gave.</summary>
    public void Skip(int count)
    {
        _headPosition += count;
        Count -= count;
        if (Count == 0)
            _headPosition = _tailPosition = 0;
    }

    /// <summary>The oldest entry, not taken; the queue must not be empty.</summary>
    public ulong Peek()
    {
        if (_headPosition == BlockSize)
            NextHeadBlock();
        return _head[_headPosition];
    }

    /// <summary>Takes the oldest entry; the queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Dequeue()
    {
        if (_headPosition == BlockSize)
            NextHeadBlock();
        ulong entry = _head[_headPosition];
        _headPosition++;
        if (--Count == 0)
        {
            // Empty: the head is on the tail block; start it over rather than move on to a new block.
            _headPosition = _tailPosition = 0;
        }
        return entry;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextHeadBlock()
    {
        _spare.Push(_blocks.Dequeue());
        _head = _blocks.Peek();
        _headPosition = 0;
    }
}
