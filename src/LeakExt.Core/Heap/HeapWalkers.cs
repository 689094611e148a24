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
        var builder = new HeapIndexBuilder(segments, types);
        Dictionary<ulong, ulong> allocationContexts = AllocationContexts(heap);
        long totalBytes = segments.Sum(s => (long)(s.End - s.Start));
        long doneBytes = 0;

        for (int s = 0; s < segments.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HeapSegmentInfo segment = segments[s];
            builder.BeginSegment(s);
            byte* data = memory.Base(s);
            bool skipContexts = segment.SkipsAllocationContexts && allocationContexts.Count > 0;
            ulong start = segment.Start, end = segment.End;
            ulong address = start;
            TypeLayout[] layouts = types.Layouts;
            int budget = 1 << 16;

            while (address < end)
            {
                if (skipContexts && allocationContexts.TryGetValue(address, out ulong contextEnd))
                {
                    ulong next = contextEnd + MinObjectSize;
                    if (next <= address || next >= end)
                        break;
                    address = next;
                    continue;
                }

                if (end - address < 8)
                    break;
                byte* obj = data + (address - start);
                ulong methodTable = *(ulong*)obj & ~3UL;
                int typeId = types.GetOrAdd(methodTable);
                if (typeId < 0)
                {
                    // Like ClrMD's ordinary walk: a bad MethodTable ends this segment.
                    builder.CorruptObjects++;
                    break;
                }
                layouts = types.Layouts;
                ref TypeLayout layout = ref layouts[typeId];
                ulong size = layout.BaseSize;
                if (layout.ComponentSize != 0)
                {
                    if (end - address < 12)
                        break;
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
                    progress?.Report(new WalkProgress("walking heap", doneBytes + (long)(address - start), totalBytes));
                }
            }

            doneBytes += (long)(end - start);
            progress?.Report(new WalkProgress("walking heap", doneBytes, totalBytes));
        }

        return builder.Build();
    }

    internal static Dictionary<ulong, ulong> AllocationContexts(ClrHeap heap)
    {
        var contexts = new Dictionary<ulong, ulong>();
        foreach (MemoryRange range in heap.EnumerateAllocationContexts())
            if (range.Start < range.End)
                contexts[range.Start] = range.End;
        return contexts;
    }
}

/// <summary>The baseline: the same index built from ClrMD's per-object enumeration (slower, the reference for correctness).</summary>
internal static class ClrMdHeapWalker
{
    public static HeapIndex Build(ClrHeap heap, HeapSegmentInfo[] segments, TypeTable types,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        var builder = new HeapIndexBuilder(segments, types);
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
        return builder.Build();
    }
}
