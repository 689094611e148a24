using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The breadth-first frontier: a FIFO of (object address, object index) pairs, 12 B per entry
/// (the marker keeps a size class in the address's low three bits, always zero in an object's address),
/// kept in blocks of 65,536 entries (768 KiB) that are recycled as the head passes them, so the
/// memory touched is the frontier's peak length rounded up to a block, and nothing is ever copied
/// (a doubling ring would copy on every growth and leave the old ring behind as garbage).
/// </summary>
internal sealed class FrontierQueue
{
    private const int BlockShift = 16;
    private const int BlockSize = 1 << BlockShift;

    private sealed class Block
    {
        public readonly ulong[] Address = PageAdvice.Populated(new ulong[BlockSize]);
        public readonly int[] Index = PageAdvice.Populated(new int[BlockSize]);
    }

    // Blocks in FIFO order: the head block first, the tail block last; spare blocks wait for reuse.
    private readonly Queue<Block> _blocks = new();
    private readonly Stack<Block> _spare = new();
    private Block _head, _tail;
    private int _headPosition, _tailPosition;

    public FrontierQueue()
    {
        _head = _tail = new Block();
        _blocks.Enqueue(_head);
    }

    public long Count { get; private set; }

    // Enqueue and Dequeue inline into the marker's loops (which skip tiering): a call would run unoptimized code at first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(ulong address, int index)
    {
        if (_tailPosition == BlockSize)
            NextTailBlock();
        _tail.Address[_tailPosition] = address;
        _tail.Index[_tailPosition] = index;
        _tailPosition++;
        Count++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NextTailBlock()
    {
        _tail = _spare.Count > 0 ? _spare.Pop() : new Block();
        _blocks.Enqueue(_tail);
        _tailPosition = 0;
    }

    /// <summary>Appends entries in order, a block's worth at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void EnqueueRange(ReadOnlySpan<ulong> addresses, ReadOnlySpan<int> indices)
    {
        while (addresses.Length > 0)
        {
            if (_tailPosition == BlockSize)
                NextTailBlock();
            int n = Math.Min(addresses.Length, BlockSize - _tailPosition);
            addresses[..n].CopyTo(_tail.Address.AsSpan(_tailPosition));
            indices[..n].CopyTo(_tail.Index.AsSpan(_tailPosition));
            _tailPosition += n;
            Count += n;
            addresses = addresses[n..];
            indices = indices[n..];
        }
    }

    /// <summary>The oldest entry's address, not taken; the queue must not be empty.</summary>
    public ulong PeekAddress()
    {
        if (_headPosition == BlockSize)
            NextHeadBlock();
        return _head.Address[_headPosition];
    }

    /// <summary>Takes the oldest entry; the queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (ulong Address, int Index) Dequeue()
    {
        if (_headPosition == BlockSize)
            NextHeadBlock();
        (ulong, int) entry = (_head.Address[_headPosition], _head.Index[_headPosition]);
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
