using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The next objects of the frontier, in queue order, marked by several threads at once with the
/// result of a one-thread walk (<see cref="RetentionMarker"/> runs the steps):
/// 1. claim, in parallel: each worker reads the references of its slice (contiguous, in order, of
///    about equal work by the entries' sizes);
///    every child not marked before the batch is claimed with a key that says which entry met it
///    (an atomic max on the child's parent-and-holder slot: the earliest entry wins);
/// 2. settle, in parallel: each worker walks its candidates again, and the first candidate whose
///    key won marks the child, settles its parent and holder (from the worker's <see cref="StateMemo"/>)
///    and lists it for the frontier;
/// 3. on the marking thread: the holder states never computed before (computing one interns texts,
///    so this stays in queue order), then the workers' lists appended to the frontier in slice order.
/// The children thus reach the frontier in the order one thread would have enqueued them, with the
/// same parents, holder states and counts.
/// A batch is a run of the frontier read where it lies, in the queue's blocks (at most two pieces: a
/// batch holds fewer entries than a block), or the parts of one large object, each part an entry with
/// the byte range of the object to read; so the marking thread copies no entry to make a batch.
/// Layout: per batch entry its work before it (8 B), its index, type id and candidate end (4 B each),
/// and for parts the part's address and byte range (8 B each); per
/// candidate reference its address and global mark slot (8 B each), object index, type id and offset
/// (4 B each); per new child its frontier entry (8 B). A batch is cut at <see cref="Capacity"/>
/// entries or <see cref="ReferenceBudget"/> reference slots (by object size), and an object of
/// <see cref="LargeObjectBytes"/> or more is cut into parts, entries of their own: a worker's
/// buffers hold about 9 MiB whatever the heap's size, touched only as far as a batch fills them.
/// </summary>
internal sealed class FrontierBatch<TReader> : IDisposable where TReader : IReferenceReader
{
    public const int Capacity = 1 << 14;

    /// <summary>The reference slots (object bytes / 8) a batch may hold.</summary>
    public const int ReferenceBudget = 1 << 17;

    /// <summary>Objects at least this large (arrays of 64 K references and more) are cut into parts of <see cref="ReferenceBuffer.PartSize"/> slots.</summary>
    public const uint LargeObjectBytes = 512 * 1024;

    /// <summary>Claim keys: this bit (never set in a packed parent and holder), the batch's sequence number, then the entry's rank from the end (earlier entries win).</summary>
    private const long ClaimTag = 1L << 62;
    private const int PositionBits = 24;

    /// <summary>The parts' addresses (the large object's, each time), for a batch of parts.</summary>
    public readonly ulong[] Address = new ulong[Capacity];

    /// <summary>Where the entries are: in two pieces of the queue's blocks, or (a batch of parts) in <see cref="Address"/>.</summary>
    private ulong[] _first = [], _second = [];
    private int _firstStart, _firstCount, _secondStart;

    /// <summary>Whether this batch is the parts of one large object (else a run of the frontier, each entry all of its object).</summary>
    public bool OfParts { get; private set; }

    /// <summary>Entry <paramref name="j"/>'s address, with its size class in the low three bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong EntryAt(int j) => j < _firstCount ? _first[_firstStart + j] : _second[_secondStart + j - _firstCount];

    /// <summary>The byte offsets of entry <paramref name="j"/>'s references to read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long FromOf(int j) => OfParts ? From[j] : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ToOf(int j) => OfParts ? To[j] : long.MaxValue;

    /// <summary>Each entry's object index, found by the worker that reads it (the frontier keeps addresses only).</summary>
    public readonly int[] Index = new int[Capacity];

    /// <summary>The byte offsets of each part's references to read (up to long.MaxValue: the rest of the object).</summary>
    public readonly long[] From = new long[Capacity], To = new long[Capacity];

    /// <summary>The type id of each entry (as its reader saw it, else the index's); the end of the entry's candidates in its worker's arrays.</summary>
    public readonly int[] TypeId = new int[Capacity], CandidateEnd = new int[Capacity];

    /// <summary>The batch's entries: set by <see cref="SetParts"/> or <see cref="SetRun"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The work of the entries before each one (its reference slots at most, plus <see cref="EntryWork"/>): slices are cut at equal shares of it.</summary>
    private readonly long[] _workBefore = new long[Capacity + 1];

    /// <summary>What reading an entry costs beside its reference slots (its header, type and range), in slots.</summary>
    private const long EntryWork = 8;

    /// <summary>Each worker's first entry, and the batch's end; set by <see cref="Begin"/>.</summary>
    private readonly int[] _sliceStarts;

    /// <summary>Adds part <paramref name="entry"/> of a large object (parts are added in order from 0) with the reference slots it holds.</summary>
    public void AddPart(int entry, ulong address, long from, long to, long slots)
    {
        Address[entry] = address;
        From[entry] = from;
        To[entry] = to;
        AddWork(entry, slots);
    }

    /// <summary>Counts the work of entry <paramref name="entry"/> (entries in order from 0): the reference slots it may hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddWork(int entry, long slots) => _workBefore[entry + 1] = _workBefore[entry] + slots + EntryWork;

    /// <summary>Makes the batch the <paramref name="count"/> parts added.</summary>
    public void SetParts(int count)
    {
        OfParts = true;
        (_first, _firstStart, _firstCount, _second, _secondStart) = (Address, 0, count, [], 0);
        Count = count;
    }

    /// <summary>Makes the batch a run of the frontier: <paramref name="firstCount"/> entries of one block, then <paramref name="secondCount"/> of another.</summary>
    public void SetRun(ulong[] first, int firstStart, int firstCount, ulong[] second, int secondStart, int secondCount)
    {
        OfParts = false;
        (_first, _firstStart, _firstCount, _second, _secondStart) = (first, firstStart, firstCount, second, secondStart);
        Count = firstCount + secondCount;
    }

    /// <summary>Batches so far, so that keys of different batches never compare equal.</summary>
    private long _sequence;

    private readonly Worker[] _workers;
    private readonly WorkerGang _gang;

    public FrontierBatch(Func<TReader> newReader, int workers, KnownStates known)
    {
        _workers = new Worker[workers];
        for (int w = 0; w < workers; w++)
            _workers[w] = new Worker(newReader(), new StateMemo(known));
        _sliceStarts = new int[workers + 1];
        _gang = new WorkerGang(workers);
    }

    public int WorkerCount => _workers.Length;

    public Worker WorkerOf(int w) => _workers[w];

    /// <summary>
    /// Starts a batch of the <see cref="Count"/> entries added: cuts the slices (contiguous, in
    /// order, of about equal work) and returns the key of entry 0 (entry j claims with this minus j).
    /// </summary>
    public long Begin()
    {
        long total = _workBefore[Count];
        _sliceStarts[0] = 0;
        for (int w = 1; w < _workers.Length; w++)
        {
            // The first entry at or past this worker's share of the work.
            long share = total * w / _workers.Length;
            int start = Array.BinarySearch(_workBefore, _sliceStarts[w - 1], Count - _sliceStarts[w - 1] + 1, share);
            _sliceStarts[w] = Math.Min(Count, start >= 0 ? start : ~start);
        }
        _sliceStarts[_workers.Length] = Count;
        _sequence++;
        return ClaimTag | (_sequence << PositionBits) | ((1L << PositionBits) - 1);
    }

    /// <summary>Runs <paramref name="step"/> on every worker's slice at once (a thread each, <see cref="WorkerGang"/>).</summary>
    public void Run(Action<Worker, int, int> step) =>
        _gang.Run(w => step(_workers[w], _sliceStarts[w], _sliceStarts[w + 1]));

    /// <summary>Ends the helper threads.</summary>
    public void Dispose() => _gang.Dispose();

    internal sealed class Worker(TReader reader, StateMemo memo)
    {
        public readonly TReader Reader = reader;
        public readonly StateMemo Memo = memo;
        public readonly ReferenceBuffer References = new();

        /// <summary>
        /// What one slice can hold without growing: the batch's budget and one object past it. Fresh
        /// arrays cost nothing until written, and growing would copy (and touch) them twice.
        /// </summary>
        private const int Room = ReferenceBudget + ReferenceBuffer.PartSize;

        // Candidates: references to objects unmarked when the batch began, in the order met.
        public ulong[] Address = new ulong[Room];
        public long[] Slot = new long[Room];
        public int[] Index = new int[Room], Type = new int[Room], Offset = new int[Room];
        public int Count;
        public long Invalid;

        /// <summary>References into framework plumbing met in this slice, in order (see <see cref="DeferredReferences"/>).</summary>
        public readonly DeferredReferences Deferred = new();

        /// <summary>The children this worker marked, in order: the frontier's next entries (address and size class).</summary>
        public ulong[] Next = new ulong[Room];
        public int NextCount;

        /// <summary>Children marked that have no references to read (not listed for the frontier).</summary>
        public int Leaves;

        /// <summary>Marked children whose holder state the marking thread computes: (entry, candidate).</summary>
        public int[] PendingEntry = new int[Room], PendingCandidate = new int[Room];
        public int PendingCount;

        public void Reset()
        {
            Count = 0;
            Invalid = 0;
            NextCount = 0;
            Leaves = 0;
            PendingCount = 0;
            Deferred.Clear();
        }

        // The adds inline into the batch steps (which skip tiering): a call would run unoptimized code at first.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddCandidate(ulong address, long slot, int index, int type, int offset)
        {
            if (Count == Address.Length)
                GrowCandidates();
            Address[Count] = address;
            Slot[Count] = slot;
            Index[Count] = index;
            Type[Count] = type;
            Offset[Count] = offset;
            Count++;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddNext(ulong entry)
        {
            if (NextCount == Next.Length)
                Grow(ref Next, NextCount);
            Next[NextCount] = entry;
            NextCount++;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddPending(int entry, int candidate)
        {
            if (PendingCount == PendingEntry.Length)
            {
                Grow(ref PendingEntry, PendingCount);
                Grow(ref PendingCandidate, PendingCount);
            }
            PendingEntry[PendingCount] = entry;
            PendingCandidate[PendingCount] = candidate;
            PendingCount++;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void GrowCandidates()
        {
            Grow(ref Address, Count);
            Grow(ref Slot, Count);
            Grow(ref Index, Count);
            Grow(ref Type, Count);
            Grow(ref Offset, Count);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Grow<T>(ref T[] array, int count) => Array.Resize(ref array, count * 2);
    }
}

/// <summary>
/// References into framework plumbing held back until everything else is marked, in the order they
/// were met (so the best parent still wins): the target, its would-be parent, the parent's state and
/// type, and the offset (a label id for a hidden edge). 24 B per reference, in blocks of
/// <see cref="BlockSize"/> that are added as needed and kept for reuse after <see cref="Clear"/>:
/// nothing is copied as the list grows (a heap can hold back millions: on the benchmark's generics
/// heap, 1.3 M, arrays that doubled took 4.7% of the snapshot's CPU samples, on the marking thread).
/// </summary>
internal sealed class DeferredReferences
{
    public const int BlockShift = 13, BlockSize = 1 << BlockShift;

    public sealed class Block
    {
        public readonly ulong[] Address = new ulong[BlockSize];
        public readonly int[] Parent = new int[BlockSize], ParentState = new int[BlockSize], ParentType = new int[BlockSize], Offset = new int[BlockSize];
    }

    private readonly List<Block> _blocks = [];

    public int Count { get; private set; }

    /// <summary>The block that holds reference <paramref name="i"/>, and its place there.</summary>
    public (Block Block, int At) this[int i] => (_blocks[i >> BlockShift], i & (BlockSize - 1));

    public void Add(ulong address, int parent, int parentState, int parentType, int offset)
    {
        (Block block, int at) = Room();
        block.Address[at] = address;
        block.Parent[at] = parent;
        block.ParentState[at] = parentState;
        block.ParentType[at] = parentType;
        block.Offset[at] = offset;
        Count++;
    }

    /// <summary>Appends another list's references in order, a block's run at a time.</summary>
    public void AddAll(DeferredReferences other)
    {
        int copied = 0;
        while (copied < other.Count)
        {
            (Block from, int fromAt) = other[copied];
            (Block to, int toAt) = Room();
            int n = Math.Min(other.Count - copied, Math.Min(BlockSize - fromAt, BlockSize - toAt));
            Array.Copy(from.Address, fromAt, to.Address, toAt, n);
            Array.Copy(from.Parent, fromAt, to.Parent, toAt, n);
            Array.Copy(from.ParentState, fromAt, to.ParentState, toAt, n);
            Array.Copy(from.ParentType, fromAt, to.ParentType, toAt, n);
            Array.Copy(from.Offset, fromAt, to.Offset, toAt, n);
            Count += n;
            copied += n;
        }
    }

    /// <summary>Where the next reference goes (a block is added when the last is full).</summary>
    private (Block Block, int At) Room()
    {
        if (Count == Array.MaxLength)
            throw new LeakExtException("more than 2^31 references into framework plumbing: LeakExt cannot hold them back.");
        if (Count >> BlockShift == _blocks.Count)
            _blocks.Add(new Block());
        return this[Count];
    }

    public void Clear() => Count = 0;

    /// <summary>The bytes of the blocks taken so far.</summary>
    public long BlockBytes => _blocks.Count * (long)BlockSize * (sizeof(ulong) + 4 * sizeof(int));

    /// <summary>Empties the list and lets its blocks go.</summary>
    public void Release()
    {
        Count = 0;
        _blocks.Clear();
    }
}
