using System.Diagnostics;
using LeakExt.Core.Retention;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>The indexed, marked heap of one target at one moment: what snapshots (and later graphs) are made from.</summary>
internal sealed class LiveHeap
{
    public required HeapIndex Index { get; init; }
    public required RootSet Roots { get; init; }
    public required MarkResult Marks { get; init; }
    public required HeapReaderKind Reader { get; init; }

    /// <summary>Heap bytes that held no decodable object, or that the dump lacks (see <see cref="HeapIndex.UnreadableBytes"/>).</summary>
    public long UnreadableBytes => Index.UnreadableBytes;
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Where the time went: segments and types, roots, segment walk, marking (with holders), …</summary>
    public PhaseTimes Phases { get; init; } = new();

    /// <summary>
    /// The heap's bytes, kept when the dump is mapped in place (no private copy): later passes (the
    /// reference graph) read the pages this walk already mapped. Null otherwise; the session disposes it.
    /// </summary>
    public SegmentMemory? Memory { get; init; }

    /// <summary>Parents and holders of the live objects; null when the heap was marked without them.</summary>
    public RetentionResult? Retention { get; init; }

    public static LiveHeap Build(LeakTarget target, HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken,
        bool holders = true)
    {
        var clock = Stopwatch.StartNew();
        var phases = new PhaseTimes();
        ClrHeap heap = target.Runtime.Heap;
        // Object layouts below are those of a 64-bit runtime: a 32-bit heap would be decoded as nonsense.
        if (target.DataTarget.DataReader.PointerSize != 8)
            throw new LeakExtException($"the target ({target.Description}) is a 32-bit process; LeakExt reads the heaps of 64-bit processes only.");

        HeapSegmentInfo[] segments = HeapSegmentInfo.FromHeap(heap);
        var types = new TypeTable(heap, target.DataTarget.DataReader);
        var ranges = new HeapRanges(segments, HeapRanges.TypeHomes(target.Runtime));
        phases.Lap("segments");
        progress?.Report(new WalkProgress("enumerating roots", 0, 0));

        RootSet roots;
        HeapIndex index;
        MarkResult marks;
        RetentionResult? retention = null;
        SegmentMemory? kept = null;
        if (reader == HeapReaderKind.Fast)
        {
            SegmentMemory memory = SegmentMemory.Create(target, segments);
            try
            {
                (index, roots) = WalkBesideRoots(target, heap, segments, memory, types, ranges, phases, progress, cancellationToken);
                var references = new FastReferenceReader(index, memory);
                // A reader per marking thread: each keeps its own MethodTable cache.
                Func<FastReferenceReader> readers = () => new FastReferenceReader(index, memory);
                if (holders)
                    marks = (retention = MarkWithHolders(heap, index, roots, references, phases, progress, cancellationToken, readers)).Marks;
                else
                    marks = LiveMarker.Mark(index, roots, references, progress, cancellationToken);
                // A mapped dump costs nothing to keep; a private copy of a live heap is not kept.
                if (memory.CopiedBytes == 0)
                    kept = memory;
            }
            finally
            {
                if (kept != memory)
                    memory.Dispose();
            }
        }
        else
        {
            roots = RootSet.Collect(target.Runtime, cancellationToken);
            phases.Lap("roots");
            index = ClrMdHeapWalker.Build(heap, target.DataTarget.DataReader, segments, types, ranges, progress, cancellationToken);
            phases.Lap("segment walk");
            var references = new ClrMdReferenceReader(heap, types);
            if (holders)
                marks = (retention = MarkWithHolders(heap, index, roots, references, phases, progress, cancellationToken, null)).Marks;
            else
                marks = LiveMarker.Mark(index, roots, references, progress, cancellationToken);
        }
        phases.Lap(holders ? "mark with holders" : "mark");

        return new LiveHeap
        {
            Index = index, Roots = retention?.Roots ?? roots, Marks = marks, Retention = retention, Reader = reader,
            Elapsed = clock.Elapsed, Phases = phases, Memory = kept,
        };
    }

    /// <summary>
    /// The segment walk decodes the dump's bytes while the roots are enumerated through the DAC on a
    /// thread of their own (ClrMD serializes DAC calls: a walker that meets a new type waits its
    /// turn). Both have ended when this returns, also when one fails: nothing is left reading the target.
    /// </summary>
    private static (HeapIndex Index, RootSet Roots) WalkBesideRoots(LeakTarget target, ClrHeap heap, HeapSegmentInfo[] segments, SegmentMemory memory,
        TypeTable types, HeapRanges ranges, PhaseTimes phases, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        var rootsClock = Stopwatch.StartNew();
        double rootsSeconds = 0;
        Task<RootSet> rootsTask = Task.Factory.StartNew(() =>
        {
            try
            {
                return RootSet.Collect(target.Runtime, cancellationToken);
            }
            finally
            {
                rootsSeconds = rootsClock.Elapsed.TotalSeconds;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        HeapIndex index;
        try
        {
            index = FastHeapWalker.Build(heap, segments, memory, types, ranges, progress, cancellationToken);
        }
        finally
        {
            ((IAsyncResult)rootsTask).AsyncWaitHandle.WaitOne();
        }
        RootSet roots = rootsTask.GetAwaiter().GetResult();
        phases.Lap("segment walk beside roots");
        // How long the roots alone took (their CPU time is inside the walk's).
        phases.Add("roots (beside the walk)", rootsSeconds, 0);
        return (index, roots);
    }

    private static RetentionResult MarkWithHolders<TReader>(ClrHeap heap, HeapIndex index, RootSet roots, TReader references, PhaseTimes phases,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken, Func<TReader>? readers) where TReader : IReferenceReader
    {
        IReadOnlyDictionary<ulong, string> owners = NamedOwners.Find(heap, index, cancellationToken);
        phases.Lap("named owners");
        return RetentionMarker.Mark(index, roots, references, owners, progress, cancellationToken, readers, phases);
    }
}
