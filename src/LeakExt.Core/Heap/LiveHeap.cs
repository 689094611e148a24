using System.Diagnostics;
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
    public required long UnreadableBytes { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public static LiveHeap Build(LeakTarget target, HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ClrHeap heap = target.Runtime.Heap;
        if (reader == HeapReaderKind.Fast && target.DataTarget.DataReader.PointerSize != 8)
            reader = HeapReaderKind.ClrMd;

        HeapSegmentInfo[] segments = HeapSegmentInfo.FromHeap(heap);
        var types = new TypeTable(heap, target.DataTarget.DataReader);
        progress?.Report(new WalkProgress("enumerating roots", 0, 0));
        RootSet roots = RootSet.Collect(target.Runtime, cancellationToken);

        HeapIndex index;
        MarkResult marks;
        long unreadable = 0;
        if (reader == HeapReaderKind.Fast)
        {
            using SegmentMemory memory = SegmentMemory.Create(target, segments);
            unreadable = memory.UnreadableBytes;
            index = FastHeapWalker.Build(heap, segments, memory, types, progress, cancellationToken);
            marks = LiveMarker.Mark(index, roots, new FastReferenceReader(index, memory), progress, cancellationToken);
        }
        else
        {
            index = ClrMdHeapWalker.Build(heap, segments, types, progress, cancellationToken);
            marks = LiveMarker.Mark(index, roots, new ClrMdReferenceReader(heap), progress, cancellationToken);
        }

        return new LiveHeap { Index = index, Roots = roots, Marks = marks, Reader = reader, UnreadableBytes = unreadable, Elapsed = clock.Elapsed };
    }
}
