using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Which heap reader builds the index: the block reader (fast) or ClrMD's per-object API (the baseline).</summary>
public enum HeapReaderKind
{
    Fast,
    ClrMd,
}

/// <summary>
/// Builds a <see cref="HeapIndex"/> by decoding segments straight from the mapped dump (or buffers
/// read through the data reader where it cannot be mapped), one run of segments per core, each
/// with <see cref="SegmentWalker"/>: MethodTable, size from the cached layout, checks, next object.
/// It follows ClrMD's rules (allocation contexts skipped, minimum object size, 8-byte alignment),
/// and a test checks that on clean dumps it lists exactly the objects ClrMD's own walk does.
/// Cost: O(objects) with no per-object allocation; memory is the index itself.
/// </summary>
internal static unsafe class FastHeapWalker
{
    public static HeapIndex Build(ClrHeap heap, HeapSegmentInfo[] segments, SegmentMemory memory, TypeTable types, HeapRanges ranges,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        ulong[] startBits = HeapIndexBuilder.AllocateStartBits(segments);
        (ulong Start, ulong End)[] allocationContexts = AllocationContexts(heap);
        long totalBytes = segments.Sum(s => (long)(s.End - s.Start));
        long doneBytes = 0;

        // Contiguous runs of segments of about equal bytes, one per core; each run is walked by one thread.
        (int First, int Count)[] runs = Partition(segments, Parallelism.Workers);
        var parts = new HeapIndexBuilder[runs.Length];
        Parallelism.For(runs.Length, cancellationToken, r =>
        {
            var builder = new HeapIndexBuilder(segments, startBits);
            var cache = new TypeIdCache(types, mayAdd: true);
            for (int s = runs[r].First; s < runs[r].First + runs[r].Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                memory.Prefault(s, segments[s].End - segments[s].Start);
                new SegmentWalker(segments[s], memory.Base(s), builder, cache, ranges, allocationContexts).Run(s, memory.Absent(s), cancellationToken);
                long done = Interlocked.Add(ref doneBytes, (long)(segments[s].End - segments[s].Start));
                progress?.Report(new WalkProgress("walking heap", done, totalBytes));
            }
            parts[r] = builder;
        });
        return HeapIndexBuilder.Combine(segments, startBits, parts, types);
    }

    /// <summary>Splits segments into at most <paramref name="count"/> contiguous runs of roughly equal size.</summary>
    internal static (int First, int Count)[] Partition(HeapSegmentInfo[] segments, int count)
    {
        long total = segments.Sum(s => (long)(s.End - s.Start));
        var runs = new List<(int, int)>();
        int first = 0;
        long accumulated = 0;
        for (int s = 0; s < segments.Length; s++)
        {
            accumulated += (long)(segments[s].End - segments[s].Start);
            bool last = s == segments.Length - 1;
            if (last || (runs.Count < count - 1 && accumulated >= total * (runs.Count + 1) / count))
            {
                runs.Add((first, s - first + 1));
                first = s + 1;
            }
        }
        return runs.ToArray();
    }

    /// <summary>The threads' allocation contexts, sorted by start (a few per thread).</summary>
    internal static (ulong Start, ulong End)[] AllocationContexts(ClrHeap heap) =>
        heap.EnumerateAllocationContexts().Where(r => r.Start < r.End).Select(r => (r.Start, r.End)).Distinct().OrderBy(r => r.Start).ToArray();
}

/// <summary>
/// The baseline's walk: the same <see cref="SegmentWalker"/> rules over each segment's bytes as the
/// target's data reader (ClrMD's) serves them, one segment at a time into one reused buffer, never
/// the mapped file. So both readers index a damaged heap alike; they differ in where the bytes come
/// from here, and in how references are read afterwards (<see cref="ClrMdReferenceReader"/>).
/// Memory: one buffer as large as the largest segment.
/// </summary>
internal static unsafe class ClrMdHeapWalker
{
    public static HeapIndex Build(ClrHeap heap, IDataReader reader, HeapSegmentInfo[] segments, TypeTable types, HeapRanges ranges,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        ulong[] startBits = HeapIndexBuilder.AllocateStartBits(segments);
        var builder = new HeapIndexBuilder(segments, startBits);
        var cache = new TypeIdCache(types, mayAdd: true);
        (ulong Start, ulong End)[] allocationContexts = FastHeapWalker.AllocationContexts(heap);
        long totalBytes = segments.Sum(s => (long)(s.End - s.Start));
        long doneBytes = 0;
        byte* buffer = null;
        nuint capacity = 0;
        try
        {
            for (int s = 0; s < segments.Length; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                nuint length = (nuint)(segments[s].End - segments[s].Start);
                if (length > capacity)
                {
                    NativeMemory.Free(buffer);
                    buffer = null;
                    buffer = (byte*)NativeMemory.Alloc(length);
                    capacity = length;
                }
                NativeMemory.Clear(buffer, length);
                var absent = new List<(ulong Start, ulong End)>();
                SegmentMemory.Fill(reader.Read, segments[s].Start, segments[s].End, buffer, absent);
                new SegmentWalker(segments[s], buffer, builder, cache, ranges, allocationContexts).Run(s, absent, cancellationToken);
                doneBytes += (long)length;
                progress?.Report(new WalkProgress("walking heap (ClrMD)", doneBytes, totalBytes));
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
        return HeapIndexBuilder.Combine(segments, startBits, [builder], types);
    }
}
