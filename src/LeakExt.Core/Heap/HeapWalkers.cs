using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Which heap reader builds the index: the block reader (fast) or ClrMD's per-object API (the baseline).</summary>
public enum HeapReaderKind
{
    Fast,
    ClrMd,
}

/// <summary>
/// Builds a <see cref="HeapIndex"/> by decoding segments straight from their bytes:
/// MethodTable, then size from the cached layout, then the next object. It follows the same
/// rules as ClrMD's walk (allocation contexts skipped, minimum object size, 8-byte alignment),
/// and a test checks that both agree exactly on real dumps.
/// Cost: O(objects) with no per-object allocation; memory is the index itself.
/// </summary>
internal static unsafe class FastHeapWalker
{
    private const ulong MinObjectSize = 24;

    public static HeapIndex Build(ClrHeap heap, HeapSegmentInfo[] segments, SegmentMemory memory, TypeTable types,
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
                WalkSegment(segments[s], s, memory.Base(s), builder, cache, allocationContexts, cancellationToken);
                long done = Interlocked.Add(ref doneBytes, (long)(segments[s].End - segments[s].Start));
                progress?.Report(new WalkProgress("walking heap", done, totalBytes));
            }
            parts[r] = builder;
        });
        return HeapIndexBuilder.Combine(segments, startBits, parts, types);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WalkSegment(HeapSegmentInfo segment, int index, byte* data, HeapIndexBuilder builder, TypeIdCache cache,
        (ulong Start, ulong End)[] allocationContexts, CancellationToken cancellationToken)
    {
        builder.BeginSegment(index);
        ulong start = segment.Start, end = segment.End;

        // The unused tail of each thread's allocation context holds no objects: jump over it.
        // Contexts are sorted by start, so one comparison per object finds the next one.
        int context = 0;
        if (segment.SkipsAllocationContexts)
            while (context < allocationContexts.Length && allocationContexts[context].Start < start)
                context++;
        else
            context = allocationContexts.Length;
        ulong nextContext = context < allocationContexts.Length ? allocationContexts[context].Start : ulong.MaxValue;

        ulong address = start;
        int budget = 1 << 16;
        while (address < end)
        {
            if (address >= nextContext)
            {
                if (address == nextContext)
                {
                    ulong next = allocationContexts[context].End + MinObjectSize;
                    if (next <= address || next >= end)
                        break;
                    address = next;
                }
                context++;
                nextContext = context < allocationContexts.Length ? allocationContexts[context].Start : ulong.MaxValue;
                continue;
            }

            if (end - address < 12)
                break;
            byte* obj = data + (address - start);
            int typeId = cache.Lookup(*(ulong*)obj & ~3UL, address);
            if (typeId < 0)
            {
                // Like ClrMD's ordinary walk: a bad MethodTable ends this segment.
                builder.CorruptObjects++;
                break;
            }
            ref TypeLayout layout = ref cache.Layouts[typeId];
            ulong size = layout.BaseSize;
            if (layout.ComponentSize != 0)
            {
                ulong count = *(uint*)(obj + 8);
                if (layout.IsString)
                    count++;
                size += count * layout.ComponentSize;
            }
            if (size < MinObjectSize)
                size = MinObjectSize;

            builder.Add(address, typeId, size);
            address += (size + 7) & ~7UL;

            if (--budget == 0)
            {
                budget = 1 << 16;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
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

/// <summary>The baseline: the same index built from ClrMD's per-object enumeration (slower, the reference for correctness).</summary>
internal static class ClrMdHeapWalker
{
    public static HeapIndex Build(ClrHeap heap, HeapSegmentInfo[] segments, TypeTable types,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        ulong[] startBits = HeapIndexBuilder.AllocateStartBits(segments);
        var builder = new HeapIndexBuilder(segments, startBits);
        var bySegmentStart = new Dictionary<ulong, int>();
        for (int i = 0; i < segments.Length; i++)
            bySegmentStart[segments[i].Start] = i;

        long totalBytes = segments.Sum(s => (long)(s.End - s.Start));
        long doneBytes = 0;
        foreach (ClrSegment segment in heap.Segments.OrderBy(s => s.Start))
        {
            if (!bySegmentStart.TryGetValue(segment.Start, out int index) || segment.End <= segment.Start)
                continue;
            builder.BeginSegment(index);
            int budget = 1 << 14;
            foreach (ClrObject obj in segment.EnumerateObjects())
            {
                if (obj.Type is null || obj.Type.MethodTable == 0)
                {
                    builder.CorruptObjects++;
                    break;
                }
                builder.Add(obj.Address, types.GetOrAdd(obj.Type), obj.Size);
                if (--budget == 0)
                {
                    budget = 1 << 14;
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            doneBytes += (long)segment.Length;
            progress?.Report(new WalkProgress("walking heap (ClrMD)", doneBytes, totalBytes));
        }
        return HeapIndexBuilder.Combine(segments, startBits, [builder], types);
    }
}
