using System.Numerics;
using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>
/// Marks like <see cref="LiveMarker"/> but breadth-first, tier by tier, recording parents and
/// holders. An object's parent and holder are settled when it is first marked (its type comes from
/// the index), so the frontier holds only (address, index): 12 B per entry (<see cref="FrontierQueue"/>).
/// While the frontier is long, or a large object is next, its next objects are marked by a thread
/// per core (<see cref="FrontierBatch{TReader}"/>: children claimed by the earliest entry that meets
/// them, then settled), so the result is the one-thread walk's. Cost over plain marking: one rank
/// computation and one holder-cache lookup per live object.
/// </summary>
internal static class RetentionMarker
{
    /// <param name="owners">Objects named as holders whatever path reaches them (<see cref="NamedOwners"/>).</param>
    /// <param name="readers">Makes a reader per thread for parallel reading (<see cref="FrontierBatch{TReader}"/>); null marks on one thread.</param>
    public static RetentionResult Mark<TReader>(HeapIndex index, RootSet roots, TReader reader, IReadOnlyDictionary<ulong, string> owners,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken, Func<TReader>? readers = null) where TReader : IReferenceReader
    {
        var rules = new HolderRules(index.Types, new HolderTable());
        RetentionResult result = Mark(index, roots, reader, new HolderRules.Adapter(rules), progress, cancellationToken, owners, readers);
        return new RetentionResult
        {
            Marks = result.Marks, ParentAndHolder = result.ParentAndHolder, Table = result.Table, Roots = result.Roots, HeapRules = rules,
            RootNodes = result.RootNodes,
        };
    }

    /// <summary>The marking itself, for any holder rules (tests drive it over synthetic heaps).</summary>
    /// <param name="parallelFrom">The frontier length from which batches are read in parallel (tests lower it).</param>
    public static RetentionResult Mark<TReader, TRules>(HeapIndex index, RootSet roots, TReader reader, TRules rules,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken, IReadOnlyDictionary<ulong, string>? owners = null,
        Func<TReader>? readers = null, int parallelFrom = 4096)
        where TReader : IReferenceReader
        where TRules : struct, IHolderRules
    {
        var known = new KnownStates();
        var walk = new Walk<TReader, TRules>(index, reader, rules, roots.Hidden, progress, cancellationToken, known)
        {
            Batch = readers is not null && Parallelism.Workers > 1 ? new FrontierBatch<TReader>(readers, Parallelism.Workers, known) : null,
            ParallelFrom = Math.Max(1, parallelFrom),
        };
        if (owners is { Count: > 0 })
            walk.NameOwners(owners);

        long unresolved = 0;
        var rootStates = new Dictionary<int, int>();
        byte[] tiers = new byte[roots.Objects.Length];
        for (int r = 0; r < tiers.Length; r++)
            tiers[r] = (byte)RootSet.Tier(roots.Kinds[r], roots.Names[roots.NameIds[r]]);
        for (int tier = 0; tier < RootSet.TierCount; tier++)
        {
            for (int r = 0; r < roots.Objects.Length; r++)
            {
                if (tiers[r] != tier)
                    continue;
                int nameId = roots.NameIds[r];
                if (!rootStates.TryGetValue(nameId, out int state))
                    rootStates[nameId] = state = rules.RootState(roots.Names[nameId]);
                ulong address = roots.Objects[r];
                if (walk.VisitRoot(address, -nameId - 2, state) == Walk<TReader, TRules>.Outcome.Invalid)
                {
                    // A conservative root is an object start or nothing; others may point inside an object.
                    if (roots.Kinds[r] != RootKind.ConservativeStack && index.IndexOfContaining(address, out ulong start) >= 0)
                        walk.VisitRoot(start, -nameId - 2, state);
                    else
                        unresolved++;
                }
            }
            if (tier == RootSet.TierCount - 1)
            {
                // Frozen (non-GC) objects are never collected: roots of the last tier.
                int frozenName = -roots.Names.Count - 2;
                int frozenState = rules.RootState("frozen segment");
                for (int s = 0; s < index.Segments.Length; s++)
                {
                    if (index.Segments[s].Kind != GCSegmentKind.Frozen)
                        continue;
                    var visitor = new FrozenVisitor<TReader, TRules>(walk, frozenName, frozenState);
                    index.ForEachInSegment(s, ref visitor);
                }
            }
            walk.Drain();
        }
        walk.VisitPlumbing();

        var names = roots.Names.ToList();
        names.Add("frozen segment");
        return new RetentionResult
        {
            Marks = walk.Finish(unresolved),
            ParentAndHolder = walk.ParentAndHolder,
            RootNodes = walk.RootNodes,
            Table = rules.Table,
            Roots = new RootSet
            {
                Objects = roots.Objects, Kinds = roots.Kinds, NameIds = roots.NameIds, Names = names,
                Hidden = roots.Hidden, WeakHandles = roots.WeakHandles, CountsByKind = roots.CountsByKind,
                FinalizerQueueLength = roots.FinalizerQueueLength, FinalizableObjects = roots.FinalizableObjects, ScannedThreads = roots.ScannedThreads,
            },
        };
    }

    private readonly struct FrozenVisitor<TReader, TRules>(Walk<TReader, TRules> walk, int name, int state) : IObjectVisitor
        where TReader : IReferenceReader
        where TRules : struct, IHolderRules
    {
        public void Visit(int index, ulong address, bool marked) => walk.VisitRoot(address, name, state);
    }

    private sealed class Walk<TReader, TRules>
        where TReader : IReferenceReader
        where TRules : struct, IHolderRules
    {
        public enum Outcome { Invalid, AlreadyMarked, Marked, Deferred }

        /// <summary>Parent type markers in the queue: the state is already final (a root), or the edge is a hidden one (its label id is the offset).</summary>
        public const int RootEdge = -1, HiddenEdge = -2;

        private readonly HeapIndex _index;
        private readonly TReader _reader;
        private readonly TRules _rules;
        private readonly IProgress<WalkProgress>? _progress;
        private readonly CancellationToken _cancellationToken;
        /// <summary>Mark bits laid out like the index's start bits (1 bit per 8 heap bytes): the result itself, no copy at the end.</summary>
        private readonly ulong[] _marks;
        private readonly TypeLayout[] _layouts;
        private readonly bool _followsLayouts;
        private readonly ReferenceBuffer _references = new();

        // The FIFO frontier: marked objects whose references are still to be read.
        private readonly FrontierQueue _queue = new();
        private long _visited;
        private long _invalid;
        private readonly HiddenEdges _hidden;
        /// <summary>Objects that are the source of a hidden edge (N/8 bytes), or null when there are none.</summary>
        private readonly Bitset? _hiddenSources;

        public long[] ParentAndHolder { get; }

        public Bitset RootNodes { get; }

        /// <summary>
        /// Framework plumbing (<see cref="FrameworkPlumbing"/>) by type id. References into it wait in
        /// the deferred ring (same layout as the frontier) until everything else is marked, so it
        /// holds only what nothing else reaches.
        /// </summary>
        private readonly bool[] _plumbing;
        private bool _deferring;
        private readonly DeferredReferences _deferred = new();

        /// <summary>Holder states computed so far, for settling children in parallel (<see cref="FrontierBatch{TReader}"/>).</summary>
        private readonly KnownStates _known;

        /// <summary>Objects named as holders whatever reaches them, and their holder states.</summary>
        private Bitset? _ownerNodes;
        private readonly Dictionary<int, int> _ownerStates = new();

        public void NameOwners(IReadOnlyDictionary<ulong, string> owners)
        {
            _ownerNodes = new Bitset(_index.ObjectCount);
            foreach ((ulong address, string name) in owners)
            {
                int node = _index.IndexOf(address);
                if (node >= 0 && _ownerNodes.TrySet(node))
                    _ownerStates[node] = _rules.RootState(name);
            }
        }

        public Walk(HeapIndex index, TReader reader, TRules rules, HiddenEdges hidden, IProgress<WalkProgress>? progress, CancellationToken cancellationToken,
            KnownStates known)
        {
            _known = known;
            _index = index;
            _reader = reader;
            _rules = rules;
            _hidden = hidden;
            RootNodes = new Bitset(index.ObjectCount);
            _plumbing = new bool[index.Types.Count];
            for (int t = 0; t < _plumbing.Length; t++)
                _deferring |= _plumbing[t] = FrameworkPlumbing.IsPlumbing(index.Types[t].Name ?? "");
            if (hidden.Count > 0)
            {
                _hiddenSources = new Bitset(index.ObjectCount);
                foreach (ulong source in hidden.Sources)
                    if (index.IndexOf(source) is int node and >= 0)
                        _hiddenSources.TrySet(node);
            }
            _progress = progress;
            _cancellationToken = cancellationToken;
            _marks = new ulong[index.StartBits.Length];
            _layouts = index.Types.Layouts;
            _followsLayouts = reader.FollowsLayouts;
            ParentAndHolder = new long[index.ObjectCount];
        }

        /// <summary>Marks a root object (an object start) and records it among the root nodes, however it was marked before.</summary>
        public Outcome VisitRoot(ulong address, int rootName, int state)
        {
            Outcome outcome = Visit(address, rootName, state, RootEdge, 0);
            if (outcome != Outcome.Invalid)
                RootNodes.TrySet(_index.IndexOf(address));
            return outcome;
        }

        /// <summary>Marks an object, settles its parent and holder (its type is in the index), and enqueues it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Outcome Visit(ulong address, int parent, int parentState, int parentType, int offset)
        {
            if (!_index.TryFindStartBit(address, out long w, out ulong bit))
                return Outcome.Invalid;
            ref ulong marks = ref _marks[w];
            if ((marks & bit) != 0)
                return Outcome.AlreadyMarked;
            int index = _index.IndexAt(w, bit);
            return MarkNew(ref marks, bit, address, index, _index.TypeIds[index], parent, parentState, parentType, offset);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Outcome MarkNew(ref ulong marks, ulong bit, ulong address, int index, int type, int parent, int parentState, int parentType, int offset)
        {
            if (_deferring && parentType != RootEdge && _plumbing[type])
            {
                _deferred.Add(address, parent, parentState, parentType, offset);
                return Outcome.Deferred;
            }
            marks |= bit;
            Settle(index, parent, parentState, parentType, offset, type);
            ulong sizeClass = SizeClass(index, type);
            // An object without references (a string, a boxed number) has nothing to read: it never enters the frontier.
            if (HasReferences(sizeClass, index))
                _queue.Enqueue(address | sizeClass, index);
            else
                Tick();
            return Outcome.Marked;
        }

        /// <summary>The plumbing last: each deferred reference in the order it was met (so the best parent wins), then what it reaches.</summary>
        public void VisitPlumbing()
        {
            _deferring = false;
            for (int i = 0; i < _deferred.Count; i++)
            {
                Visit(_deferred.Address[i], _deferred.Parent[i], _deferred.ParentState[i], _deferred.ParentType[i], _deferred.Offset[i]);
                if (_queue.Count >= 1 << 16)
                    Drain();
            }
            _deferred.Clear();
            Drain();
        }

        // How far ahead the batch steps prefetch (entries whose object is read; candidates whose slot is
        // checked), and how many entries after finding its children an entry claims them.
        private const int PrefetchDistance = 8, SettleAhead = 16, ClaimLag = 8;

        public FrontierBatch<TReader>? Batch { get; init; }
        public int ParallelFrom { get; init; } = 4096;

        /// <summary>
        /// Size classes, kept in a frontier entry's low three address bits: the object's reference
        /// slots at most (for cutting batches), by class; the last class is a large object, read in parts.
        /// </summary>
        private static readonly long[] ClassSlots = [0, 16, 128, 1024, 8192, 65536, 0];
        private const int LargeClass = 6;

        /// <summary>
        /// Whether a marked object has something to read: references by its layout (when the reader
        /// follows layouts; else always), or a hidden edge starting at it.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool HasReferences(ulong sizeClass, int index) =>
            sizeClass != 0 || !_followsLayouts || (_hiddenSources is not null && _hiddenSources[index]);

        /// <summary>The size class of a marked object (its type's layout, or its size for arrays).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong SizeClass(int index, int type)
        {
            ulong size;
            if ((uint)type < (uint)_layouts.Length)
            {
                ref TypeLayout layout = ref _layouts[type];
                if (!layout.HasReferences)
                    return 0;
                size = layout.ComponentSize == 0 ? layout.BaseSize : _index.SizeOf(index);
            }
            else
                size = _index.SizeOf(index);
            return size < 128 ? 1UL : size < 1024 ? 2UL : size < 8192 ? 3UL : size < 65536 ? 4UL : size < FrontierBatch<TReader>.LargeObjectBytes ? 5UL : LargeClass;
        }

        /// <summary>Until the frontier is empty: one object at a time, or in parallel batches while the frontier is long or a large object is next.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Drain()
        {
            while (_queue.Count > 0 || _part is not null)
            {
                if (Batch is not null && (_part is not null || _queue.Count >= ParallelFrom || (int)(_queue.PeekAddress() & 7) == LargeClass))
                {
                    DrainBatch(Batch);
                    continue;
                }
                (ulong entry, int current) = _queue.Dequeue();
                ReadAndVisit(entry & ~7UL, current);
            }
        }

        /// <summary>A large object whose parts are still to be read: the next part starts at <c>Next</c> bytes.</summary>
        private (ulong Address, int Index, long Next, long Size)? _part;

        /// <summary>
        /// The next objects of the frontier, marked in parallel with the one-thread result (the steps
        /// are in <see cref="FrontierBatch{TReader}"/>). A large object is cut into parts of
        /// <see cref="ReferenceBuffer.PartSize"/> slots, consecutive entries that claim in slot order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DrainBatch(FrontierBatch<TReader> batch)
        {
            const long partBytes = ReferenceBuffer.PartSize * 8L;
            int n = 0, objects = 0;
            long slots = 0;
            while (n < FrontierBatch<TReader>.Capacity && slots < FrontierBatch<TReader>.ReferenceBudget)
            {
                if (_part is (ulong partAddress, int partIndex, long next, long size))
                {
                    // The last part runs to the end: the object's hidden edges follow its last reference.
                    bool last = next + partBytes >= size;
                    batch.Add(n++, partAddress, partIndex, next, last ? long.MaxValue : next + partBytes);
                    slots += ReferenceBuffer.PartSize;
                    _part = last ? null : (partAddress, partIndex, next + partBytes, size);
                    objects += last ? 1 : 0;
                    continue;
                }
                if (_queue.Count == 0)
                    break;
                (ulong entry, int node) = _queue.Dequeue();
                int sizeClass = (int)(entry & 7);
                if (sizeClass == LargeClass)
                {
                    _part = (entry & ~7UL, node, 0, (long)_index.SizeOf(node));
                    continue;
                }
                batch.Add(n++, entry & ~7UL, node, 0, long.MaxValue);
                slots += ClassSlots[sizeClass];
                objects++;
            }
            batch.Count = n;
            long firstKey = batch.Begin();
            batch.Run(_cancellationToken, (worker, from, to) => Claim(batch, worker, from, to, firstKey));
            batch.Run(_cancellationToken, (worker, from, to) => Settle(batch, worker, from, to, firstKey));
            for (int w = 0; w < batch.WorkerCount; w++)
            {
                FrontierBatch<TReader>.Worker worker = batch.WorkerOf(w);
                _invalid += worker.Invalid;
                SettlePending(batch, worker);
                _queue.EnqueueRange(worker.NextAddress.AsSpan(0, worker.NextCount), worker.NextIndex.AsSpan(0, worker.NextCount));
                _deferred.AddAll(worker.Deferred);
            }
            for (int w = 0; w < batch.WorkerCount; w++)
                objects += batch.WorkerOf(w).Leaves;
            Advance(objects);
        }

        /// <summary>
        /// Step 1 on one worker's slice: read each entry's references and claim every child unmarked
        /// when the batch began. Two stages, <see cref="ClaimLag"/> entries apart: an entry's children
        /// are found and their index slots prefetched, and they claim a few entries later, when the
        /// lines are in cache (a locked compare-exchange on a missing line would stall every load behind it).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Claim(FrontierBatch<TReader> batch, FrontierBatch<TReader>.Worker worker, int from, int to, long firstKey)
        {
            worker.Reset();
            ReferenceBuffer references = worker.References;
            int claimed = 0;
            for (int j = from; j < to + ClaimLag; j++)
            {
                if (j < to)
                {
                    if ((j & 1023) == 1023)
                        _cancellationToken.ThrowIfCancellationRequested();
                    if (j + PrefetchDistance < to)
                    {
                        ulong ahead = batch.Address[j + PrefetchDistance];
                        worker.Reader.Prefetch(ahead, _index.FindSegment(ahead));
                    }
                    ulong address = batch.Address[j];
                    int parent = batch.Index[j];
                    long until = batch.To[j];
                    int found = worker.Reader.ReadRange(address, _index.FindSegment(address), references, batch.From[j], until);
                    batch.TypeId[j] = references.TypeId >= 0 ? references.TypeId : _index.TypeIds[parent];
                    ulong[] targets = references.Targets;
                    int[] offsets = references.Offsets;
                    for (int i = 0; i < found; i++)
                        FindChild(worker, targets[i], offsets[i]);
                    if (until == long.MaxValue && _hiddenSources is not null && _hiddenSources[parent])
                    {
                        (int start, int count) = _hidden.From(address);
                        for (int e = start; e < start + count; e++)
                            FindChild(worker, _hidden.Targets[e], ~_hidden.LabelIds[e]);
                    }
                    batch.CandidateEnd[j] = worker.Count;
                }
                int k = j - ClaimLag;
                if (k >= from)
                {
                    int end = batch.CandidateEnd[k], parent = batch.Index[k], parentType = batch.TypeId[k];
                    long key = firstKey - k;
                    for (; claimed < end; claimed++)
                        ClaimChild(worker, claimed, parent, parentType, key);
                }
            }
        }

        /// <summary>
        /// A reference met in step 1: dropped when it is no object or was marked before the batch, else
        /// a candidate, and its child's type and parent-and-holder slots are prefetched. A hidden edge's
        /// offset is its label id, complemented.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private unsafe void FindChild(FrontierBatch<TReader>.Worker worker, ulong target, int offset)
        {
            if (!_index.TryFindStartBit(target, out long w, out ulong bit))
            {
                worker.Invalid++;
                return;
            }
            if ((_marks[w] & bit) != 0)
                return;
            int child = _index.IndexAt(w, bit);
            if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref _index.TypeIds[child]));
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref ParentAndHolder[child]));
            }
            worker.AddCandidate(target, (w << 6) | (long)BitOperations.TrailingZeroCount(bit), child, 0, offset);
        }

        /// <summary>
        /// Candidate <paramref name="c"/> of step 1 claims its child with <paramref name="key"/> (the
        /// largest key, the earliest entry, wins), or is held back when it leads into plumbing (its
        /// index is then -1).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ClaimChild(FrontierBatch<TReader>.Worker worker, int c, int parent, int parentType, long key)
        {
            int child = worker.Index[c];
            int type = _index.TypeIds[child];
            worker.Type[c] = type;
            if (_deferring && _plumbing[type])
            {
                int offset = worker.Offset[c];
                worker.Deferred.Add(worker.Address[c], parent, StateOf(parent), offset < 0 ? HiddenEdge : parentType, offset < 0 ? ~offset : offset);
                worker.Index[c] = -1;
                return;
            }
            // Unmarked, the slot holds no packed parent and holder: zero, or a key of this batch.
            ref long claim = ref ParentAndHolder[child];
            long seen = Volatile.Read(ref claim);
            while (seen < key)
            {
                long was = Interlocked.CompareExchange(ref claim, key, seen);
                if (was == seen)
                    break;
                seen = was;
            }
        }

        /// <summary>
        /// Step 2 on one worker's slice: each child whose claim this slice won is marked at its first
        /// candidate, its parent and holder settled (a state not known yet is left to <see cref="SettlePending"/>),
        /// and listed for the frontier.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void Settle(FrontierBatch<TReader> batch, FrontierBatch<TReader>.Worker worker, int from, int to, long firstKey)
        {
            int c = 0;
            for (int j = from; j < to; j++)
            {
                int end = batch.CandidateEnd[j];
                if (c == end)
                    continue;
                int parent = batch.Index[j], parentType = batch.TypeId[j];
                int parentState = StateOf(parent);
                long key = firstKey - j;
                for (; c < end; c++)
                {
                    if (System.Runtime.Intrinsics.X86.Sse.IsSupported && c + SettleAhead < worker.Count && worker.Index[c + SettleAhead] is int ahead and >= 0)
                        System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref ParentAndHolder[ahead]));
                    int child = worker.Index[c];
                    if (child < 0 || ParentAndHolder[child] != key)
                        continue;
                    long slot = worker.Slot[c];
                    Interlocked.Or(ref _marks[slot >> 6], 1UL << (int)(slot & 63));
                    int offset = worker.Offset[c];
                    int state;
                    if (_ownerNodes is not null && _ownerNodes[child])
                        state = _ownerStates[child];
                    else if (offset < 0 || !worker.Memo.TryGet(parentState, parentType, _rules.StateOffset(parentType, offset), worker.Type[c], out state))
                    {
                        worker.AddPending(j, c);
                        // No key: the child's later candidates in this slice are passed over.
                        state = -1;
                    }
                    ParentAndHolder[child] = RetentionResult.Pack(parent, state);
                    ulong sizeClass = SizeClass(child, worker.Type[c]);
                    if (HasReferences(sizeClass, child))
                        worker.AddNext(worker.Address[c] | sizeClass, child);
                    else
                        worker.Leaves++;
                }
            }
        }

        /// <summary>Step 3, on this thread in queue order: the holder states step 2 could not look up, computed and recorded for later batches.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SettlePending(FrontierBatch<TReader> batch, FrontierBatch<TReader>.Worker worker)
        {
            for (int p = 0; p < worker.PendingCount; p++)
            {
                int j = worker.PendingEntry[p], c = worker.PendingCandidate[p];
                int parent = batch.Index[j], parentType = batch.TypeId[j], child = worker.Index[c], offset = worker.Offset[c];
                int parentState = StateOf(parent);
                int state;
                if (offset < 0)
                    state = _rules.HiddenState(parentState, _index.TypeIds[parent], _hidden.Labels[~offset]);
                else
                {
                    state = _rules.ChildState(parentState, parentType, offset, worker.Type[c]);
                    _known.Add(parentState, parentType, _rules.StateOffset(parentType, offset), worker.Type[c], state);
                }
                ParentAndHolder[child] = RetentionResult.Pack(parent, state);
            }
        }

        /// <summary>One object of the frontier: its references read and its children visited with its holder.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ReadAndVisit(ulong address, int current)
        {
            int segment = _index.FindSegment(address);
            int state = StateOf(current);
            // One array can hold tens of millions of references: it is read a part at a time, and Ctrl-C is checked between parts.
            long resume = 0;
            do
            {
                int found = _reader.ReadPart(address, segment, _references, ref resume);
                int type = _references.TypeId >= 0 ? _references.TypeId : _index.TypeIds[current];
                ulong[] targets = _references.Targets;
                int[] offsets = _references.Offsets;
                for (int i = 0; i < found; i++)
                    if (Visit(targets[i], current, state, type, offsets[i]) == Outcome.Invalid)
                        _invalid++;
                // Only between the parts of a big object: every 64 K objects, Tick checks anyway.
                if (resume >= 0)
                    _cancellationToken.ThrowIfCancellationRequested();
            } while (resume >= 0);
            VisitHidden(address, current, state);
            Tick();
        }

        /// <summary>The holder state settled when the object was marked.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int StateOf(int node) => RetentionResult.HolderOf(ParentAndHolder[node]);

        /// <summary>The holder of an object, decided as it is marked; recorded with its parent.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Settle(int current, int parent, int parentState, int parentType, int offset, int type)
        {
            int state = parentType switch
            {
                RootEdge => parentState,
                _ when _ownerNodes is not null && _ownerNodes[current] => _ownerStates[current],
                HiddenEdge => _rules.HiddenState(parentState, _index.TypeIds[parent], _hidden.Labels[offset]),
                _ => _rules.ChildState(parentState, parentType, offset, type),
            };
            ParentAndHolder[current] = RetentionResult.Pack(parent, state);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void VisitHidden(ulong address, int current, int state)
        {
            if (_hiddenSources is null || !_hiddenSources[current])
                return;
            (int start, int count) = _hidden.From(address);
            for (int e = start; e < start + count; e++)
                if (Visit(_hidden.Targets[e], current, state, HiddenEdge, _hidden.LabelIds[e]) == Outcome.Invalid)
                    _invalid++;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Tick()
        {
            if ((++_visited & 0xFFFF) == 0)
                Report();
        }

        /// <summary>Tick for a batch of objects.</summary>
        private void Advance(int objects)
        {
            long before = _visited;
            _visited += objects;
            if (before >> 16 != _visited >> 16)
                Report();
        }

        private void Report()
        {
            _cancellationToken.ThrowIfCancellationRequested();
            _progress?.Report(new WalkProgress("marking live objects and holders", _visited, _index.ObjectCount));
        }

        public MarkResult Finish(long unresolvedRoots)
        {
            return MarkResult.FromWords(_marks, unresolvedRoots, _invalid);
        }
    }
}
