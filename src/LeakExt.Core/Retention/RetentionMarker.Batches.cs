using System.Numerics;
using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

// The parallel half of the marking: a batch of the frontier marked by a thread per core with the
// one-thread walk's result (the steps and their layout are in FrontierBatch).
internal static partial class RetentionMarker
{
    private sealed partial class Walk<TReader, TRules>
    {
        // How far ahead the batch steps prefetch (entries whose object is read; candidates whose slot is
        // checked), and how many entries after finding its children an entry claims them.
        private const int PrefetchDistance = 8, SettleAhead = 16, ClaimLag = 8;

        /// <summary>A large object whose parts are still to be read: the next part starts at <c>Next</c> bytes.</summary>
        private (ulong Address, long Next, long Size)? _part;

        /// <summary>
        /// The next objects of the frontier, marked in parallel with the one-thread result (the steps
        /// are in <see cref="FrontierBatch{TReader}"/>): a run of the frontier read where it lies in the
        /// queue, up to a large object, or the next parts of a large object (of
        /// <see cref="ReferenceBuffer.PartSize"/> slots each, consecutive entries that claim in slot order).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DrainBatch(FrontierBatch<TReader> batch)
        {
            const long partBytes = ReferenceBuffer.PartSize * 8L;
            const int capacity = FrontierBatch<TReader>.Capacity;
            const long budget = FrontierBatch<TReader>.ReferenceBudget;
            int n = 0, objects = 0;
            long slots = 0;
            if (_part is null && (int)(_queue.Peek() & 7) == LargeClass)
            {
                ulong address = _queue.Dequeue() & ~7UL;
                _part = (address, 0, (long)_index.SizeOf(_index.IndexOf(address)));
            }
            if (_part is not null)
            {
                while (n < capacity && slots < budget && _part is (ulong partAddress, long next, long size))
                {
                    // The last part runs to the end: the object's hidden edges follow its last reference.
                    bool last = next + partBytes >= size;
                    batch.AddPart(n++, partAddress, next, last ? long.MaxValue : next + partBytes, ReferenceBuffer.PartSize);
                    slots += ReferenceBuffer.PartSize;
                    _part = last ? null : (partAddress, next + partBytes, size);
                    objects += last ? 1 : 0;
                }
                batch.SetParts(n);
            }
            else
            {
                // At most two pieces: a batch holds fewer entries than a block of the queue.
                ulong[] first = [], second = [];
                int firstStart = 0, firstCount = 0, secondStart = 0;
                for (int piece = 0; piece < 2 && n < capacity && slots < budget && _queue.Count > 0; piece++)
                {
                    int available = _queue.PeekRun(capacity - n, out ulong[] block, out int start);
                    int taken = 0;
                    bool large = false;
                    while (taken < available && slots < budget)
                    {
                        int sizeClass = (int)(block[start + taken] & 7);
                        if (large = sizeClass == LargeClass)
                            break;
                        slots += ClassSlots[sizeClass];
                        batch.AddWork(n + taken, ClassSlots[sizeClass]);
                        taken++;
                    }
                    _queue.Skip(taken);
                    if (piece == 0)
                        (first, firstStart, firstCount) = (block, start, taken);
                    else
                        (second, secondStart) = (block, start);
                    n += taken;
                    // A large object waits for a batch of its parts.
                    if (large)
                        break;
                }
                batch.SetRun(first, firstStart, firstCount, second, secondStart, n - firstCount);
                objects += n;
            }
            long firstKey = batch.Begin();
            batch.Run((worker, from, to) => ClaimSlice(batch, worker, from, to, firstKey));
            _cancellationToken.ThrowIfCancellationRequested();
            batch.Run((worker, from, to) => SettleSlice(batch, worker, from, to, firstKey));
            for (int w = 0; w < batch.WorkerCount; w++)
            {
                FrontierBatch<TReader>.Worker worker = batch.WorkerOf(w);
                _invalid += worker.Invalid;
                SettlePending(batch, worker);
                _queue.EnqueueRange(worker.Next.AsSpan(0, worker.NextCount));
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
        private void ClaimSlice(FrontierBatch<TReader> batch, FrontierBatch<TReader>.Worker worker, int from, int to, long firstKey)
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
                        ulong ahead = batch.EntryAt(j + PrefetchDistance) & ~7UL;
                        worker.Reader.Prefetch(ahead, _index.FindSegment(ahead));
                    }
                    ulong address = batch.EntryAt(j) & ~7UL;
                    int segment = _index.FindSegment(address);
                    // The frontier keeps addresses only: each entry's index is found here, on the workers.
                    int parent = batch.Index[j] = _index.IndexInSegment(segment, address);
                    long until = batch.ToOf(j);
                    int found = worker.Reader.ReadRange(address, segment, references, batch.FromOf(j), until);
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
        private unsafe void SettleSlice(FrontierBatch<TReader> batch, FrontierBatch<TReader>.Worker worker, int from, int to, long firstKey)
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
                        worker.AddNext(worker.Address[c] | sizeClass);
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
    }
}
