using System.Numerics;
using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>
/// Marks like <see cref="LiveMarker"/> but breadth-first, tier by tier, recording parents and
/// holders. An object's parent and holder are settled when it is first marked (its type comes from
/// the index), so the frontier holds only addresses: 8 B per entry (<see cref="FrontierQueue"/>).
/// While the frontier is long, or a large object is next, its next objects are marked by a thread
/// per core (<see cref="FrontierBatch{TReader}"/>: children claimed by the earliest entry that meets
/// them, then settled), so the result is the one-thread walk's. Cost over plain marking: one rank
/// computation and one holder-cache lookup per live object.
/// </summary>
internal static partial class RetentionMarker
{
    /// <param name="owners">Objects named as holders whatever path reaches them (<see cref="NamedOwners"/>).</param>
    /// <param name="readers">Makes a reader per thread for parallel reading (<see cref="FrontierBatch{TReader}"/>); null marks on one thread.</param>
    /// <param name="phases">Where the marking's time goes: naming the types ("type names"), the marking itself ("mark with holders"), then the plumbing last ("plumbing last").</param>
    public static RetentionResult Mark<TReader>(HeapIndex index, RootSet roots, TReader reader, IReadOnlyDictionary<ulong, string> owners,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken, Func<TReader>? readers = null, PhaseTimes? phases = null)
        where TReader : IReferenceReader
    {
        var rules = new HolderRules(index.Types, new HolderTable());
        RetentionResult result = Mark(index, roots, reader, new HolderRules.Adapter(rules), progress, cancellationToken, owners, readers, phases: phases);
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
        Func<TReader>? readers = null, int parallelFrom = 4096, PhaseTimes? phases = null)
        where TReader : IReferenceReader
        where TRules : struct, IHolderRules
    {
        var known = new KnownStates();
        using FrontierBatch<TReader>? batch = readers is not null && Parallelism.Workers > 1 ? new FrontierBatch<TReader>(readers, Parallelism.Workers, known) : null;
        var walk = new Walk<TReader, TRules>(index, reader, rules, roots.Hidden, progress, cancellationToken, known)
        {
            Batch = batch,
            ParallelFrom = Math.Max(1, parallelFrom),
        };
        if (owners is { Count: > 0 })
            walk.NameOwners(owners);
        // Naming every type (for the plumbing flags) is the marking's first step: a phase of its own on heaps of many types.
        phases?.Lap("type names");

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
        phases?.Lap("mark with holders");
        walk.VisitPlumbing();
        phases?.Lap("plumbing last");
        // A frontier that grew big (an array of millions of objects) leaves that much memory behind as
        // garbage: collected at once, what the snapshot allocates next reuses it instead of mapping new
        // pages (on the benchmark's generics heap the peak falls by 50 MB).
        if (walk.ReleaseScratch() >= ScratchWorthCollecting)
        {
            GC.Collect();
            phases?.Lap("frontier released");
        }

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

    /// <summary>Bytes of frontier and held-back references from which the marking collects them when it ends (below it, a collection costs more than it returns).</summary>
    private const long ScratchWorthCollecting = 64L << 20;

    /// <summary>The marking's hot loops as a snapshot instantiates them, with holders (<see cref="Heap.HotLoops"/>).</summary>
    internal static IEnumerable<System.Reflection.MethodBase> HotLoops<TReader>() where TReader : IReferenceReader =>
        Heap.HotLoops.MarkedIn(typeof(Walk<TReader, HolderRules.Adapter>))
            .Append(Heap.HotLoops.ForEachInSegment<FrozenVisitor<TReader, HolderRules.Adapter>>());

    private readonly struct FrozenVisitor<TReader, TRules>(Walk<TReader, TRules> walk, int name, int state) : IObjectVisitor
        where TReader : IReferenceReader
        where TRules : struct, IHolderRules
    {
        public void Visit(int index, ulong address, bool marked) => walk.VisitRoot(address, name, state);
    }

    private sealed partial class Walk<TReader, TRules>
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
                _deferring |= _plumbing[t] = FrameworkPlumbing.IsPlumbing(index.Types.NameOf(t));
            if (hidden.Count > 0)
            {
                _hiddenSources = new Bitset(index.ObjectCount);
                foreach (ulong source in hidden.Sources)
                    if (index.IndexOf(source) is int node and >= 0)
                        _hiddenSources.TrySet(node);
            }
            _progress = progress;
            _cancellationToken = cancellationToken;
            // Populated (PageAdvice) though only live objects write them: their 8 B per object and 1 bit
            // per 8 heap bytes are then resident whatever the heap, as documented, and mapping them
            // a fault at a time cost more (a 30 M-object snapshot: 6.26 -> 5.76 s). Where dead
            // objects lie together that maps pages never written (24 MB on the benchmark's heap).
            _marks = PageAdvice.Populated(new ulong[index.StartBits.Length]);
            _layouts = index.Types.Layouts;
            _followsLayouts = reader.FollowsLayouts;
            ParentAndHolder = PageAdvice.Populated(new long[index.ObjectCount]);
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
                _queue.Enqueue(address | sizeClass);
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
                (DeferredReferences.Block block, int at) = _deferred[i];
                Visit(block.Address[at], block.Parent[at], block.ParentState[at], block.ParentType[at], block.Offset[at]);
                if (_queue.Count >= 1 << 16)
                    Drain();
            }
            _deferred.Clear();
            Drain();
        }

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
                if (Batch is not null && (_part is not null || _queue.Count >= ParallelFrom || (int)(_queue.Peek() & 7) == LargeClass))
                {
                    DrainBatch(Batch);
                    continue;
                }
                ReadAndVisit(_queue.Dequeue() & ~7UL);
            }
        }

        /// <summary>One object of the frontier: its references read and its children visited with its holder.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ReadAndVisit(ulong address)
        {
            int segment = _index.FindSegment(address);
            int current = _index.IndexInSegment(segment, address);
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

        /// <summary>Lets the frontier's spare blocks and the held-back references go (the marking is over); returns their bytes.</summary>
        public long ReleaseScratch()
        {
            long bytes = _queue.BlockBytes + _deferred.BlockBytes;
            _queue.ReleaseSpare();
            _deferred.Release();
            return bytes;
        }

        public MarkResult Finish(long unresolvedRoots)
        {
            return MarkResult.FromWords(_marks, unresolvedRoots, _invalid);
        }
    }
}
