using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Snapshots;

/// <summary>Turns a marked heap into a <see cref="Snapshot"/>: a histogram over types and generations in one pass over the index.</summary>
internal static class SnapshotBuilder
{
    public static Snapshot Build(LiveHeap heap, SnapshotInfo info, Growth.GcMemory gc, CancellationToken cancellationToken = default)
    {
        HeapIndex index = heap.Index;
        int typeCount = index.Types.Count;
        const int G = HeapGenerations.Count;
        // One histogram per run of segments, filled in parallel, then summed.
        (int First, int Count)[] runs = FastHeapWalker.Partition(index.Segments, Parallelism.Workers);
        var parts = new Histogram[runs.Length];
        Parallelism.For(runs.Length, cancellationToken, r =>
        {
            var part = new Histogram(index, typeCount, heap.Retention);
            for (int s = runs[r].First; s < runs[r].First + runs[r].Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                part.Segment = index.Segments[s];
                index.ForEachInSegment(s, ref part, heap.Marks.MarkBits);
                part.AddFreeBlocks();
            }
            parts[r] = part;
        });
        Histogram accumulator = parts.Length > 0 ? parts[0] : new Histogram(index, typeCount, heap.Retention);
        for (int r = 1; r < parts.Length; r++)
            accumulator.Add(parts[r]);

        // Merge type ids that share a name and module (the same type loaded twice): a row per group,
        // and each type id's group, which the holder rows reuse.
        var groupOf = new Dictionary<TypeKey, int>();
        // Module names by module: a heap of 50,000 types has a few dozen modules.
        var moduleNames = new Dictionary<ClrModule, string>(ReferenceEqualityComparer.Instance);
        var rows = new List<TypeStats>();
        int[] groupOfType = new int[typeCount];
        Array.Fill(groupOfType, -1);
        for (int t = 0; t < typeCount; t++)
        {
            ClrType type = index.Types[t];
            if (type.IsFree)
                continue;
            long count = 0, bytes = 0;
            for (int g = 0; g < G; g++)
            {
                count += accumulator.LiveCount[t * G + g];
                bytes += accumulator.LiveBytes[t * G + g];
            }
            if (count == 0 && accumulator.DeadCount[t] == 0)
                continue;

            string module = type.Module is not { } clrModule ? ""
                : moduleNames.TryGetValue(clrModule, out string? known) ? known : moduleNames[clrModule] = ModuleName(type);
            var key = new TypeKey(index.Types.NameOf(t), module);
            long[] countByGen = accumulator.LiveCount.AsSpan(t * G, G).ToArray();
            long[] bytesByGen = accumulator.LiveBytes.AsSpan(t * G, G).ToArray();
            // One lookup, which adds the key when it is new (its group set below).
            ref int groupSlot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(groupOf, key, out bool seen);
            int group = groupSlot;
            if (seen)
            {
                TypeStats existing = rows[group];
                for (int g = 0; g < G; g++)
                {
                    countByGen[g] += existing.CountByGeneration[g];
                    bytesByGen[g] += existing.BytesByGeneration[g];
                }
                rows[group] = existing with
                {
                    Count = existing.Count + count,
                    Bytes = existing.Bytes + bytes,
                    CountByGeneration = countByGen,
                    BytesByGeneration = bytesByGen,
                    DeadCount = existing.DeadCount + accumulator.DeadCount[t],
                    DeadBytes = existing.DeadBytes + accumulator.DeadBytes[t],
                };
            }
            else
            {
                group = groupSlot = rows.Count;
                rows.Add(new TypeStats(key.Type, key.Module, count, bytes, countByGen, bytesByGen, accumulator.DeadCount[t], accumulator.DeadBytes[t]));
            }
            groupOfType[t] = group;
        }

        TypeStats[] types = [.. rows];
        Array.Sort(types, ByBytes);

        var generations = new GenerationTotals[G];
        for (int g = 0; g < G; g++)
            generations[g] = new GenerationTotals(HeapGenerations.Names[g], accumulator.GenLiveCount[g], accumulator.GenLiveBytes[g],
                accumulator.GenDeadCount[g], accumulator.GenDeadBytes[g], accumulator.GenFreeCount[g], accumulator.GenFreeBytes[g]);

        var totals = new HeapTotals(
            generations.Sum(g => g.LiveCount), generations.Sum(g => g.LiveBytes),
            generations.Sum(g => g.DeadCount), generations.Sum(g => g.DeadBytes),
            generations.Sum(g => g.FreeCount), generations.Sum(g => g.FreeBytes), gc.InUseCommittedBytes, gc.ReservedBytes, generations)
        {
            FreeRegionBytes = gc.FreeRegionBytes,
        };

        return new Snapshot(info, totals, types, heap.Roots.CountsByKind.ToDictionary(), heap.Roots.FinalizerQueueLength,
            heap.Roots.FinalizableObjects,
            new SnapshotDiagnostics(index.CorruptObjects, heap.Marks.InvalidReferences, heap.Marks.UnresolvedRoots, heap.UnreadableBytes,
                heap.Roots.ScannedThreads.Count, heap.Roots.ScannedThreads.Count(t => t.Walk == RootEnumerator.StackWalk.Incomplete)))
        {
            Holders = HolderRows(accumulator.Holders, heap.Retention, groupOfType, rows),
        };
    }

    /// <summary>
    /// Merges the (type id, holder text) cells into rows keyed by type name, module and holder,
    /// largest first: by (the type's row group, holder text id), two ints. Cells are of live objects,
    /// whose types have rows; the free-space pseudo-type has none (a reference into free space on a
    /// damaged heap), and its cells are left out as its objects are from the type rows.
    /// </summary>
    private static HolderStats[] HolderRows(HolderCells? cells, RetentionResult? retention, int[] groupOfType, List<TypeStats> typeRows)
    {
        if (cells is null || retention is null)
            return [];
        var rows = new Dictionary<long, HolderStats>();
        foreach ((long key, long count, long bytes, ulong example) in cells.Entries())
        {
            int group = groupOfType[(int)(key >> 32)], textId = (int)(uint)key;
            if (group < 0)
                continue;
            long rowKey = ((long)group << 32) | (uint)textId;
            rows[rowKey] = rows.TryGetValue(rowKey, out HolderStats? existing)
                ? existing with { Count = existing.Count + count, Bytes = existing.Bytes + bytes, ExampleAddress = Math.Min(existing.ExampleAddress, example) }
                : new HolderStats(typeRows[group].Type, typeRows[group].Module, retention.Rules.Table.Text(textId), count, bytes, example);
        }
        HolderStats[] sorted = [.. rows.Values];
        Array.Sort(sorted, ByBytes);
        return sorted;
    }

    // The rows' orders, each total (the module breaks the last ties). Array.Sort, not LINQ's OrderBy,
    // whose sorter over these keys runs unoptimized code at first: 0.25 s for 50,000 types.

    /// <summary>Largest live bytes first, then dead bytes, then type and module names (ordinal).</summary>
    private static int ByBytes(TypeStats a, TypeStats b)
    {
        int order = b.Bytes.CompareTo(a.Bytes);
        if (order == 0)
            order = b.DeadBytes.CompareTo(a.DeadBytes);
        if (order == 0)
            order = string.CompareOrdinal(a.Type, b.Type);
        return order != 0 ? order : string.CompareOrdinal(a.Module, b.Module);
    }

    /// <summary>Largest bytes first, then type, holder and module names (ordinal).</summary>
    private static int ByBytes(HolderStats a, HolderStats b)
    {
        int order = b.Bytes.CompareTo(a.Bytes);
        if (order == 0)
            order = string.CompareOrdinal(a.Type, b.Type);
        if (order == 0)
            order = string.CompareOrdinal(a.Holder, b.Holder);
        return order != 0 ? order : string.CompareOrdinal(a.Module, b.Module);
    }

    internal static string ModuleName(ClrType type)
    {
        string? module = type.Module?.Name;
        return string.IsNullOrEmpty(module) ? "" : Path.GetFileName(module.Replace('\\', '/'));
    }

    /// <summary>The histogram's hot loops (<see cref="Heap.HotLoops"/>).</summary>
    internal static IEnumerable<System.Reflection.MethodBase> HotLoops() =>
        Heap.HotLoops.MarkedIn(typeof(Histogram)).Append(Heap.HotLoops.ForEachInSegment<Histogram>());

    /// <summary>Per type id × generation live counts and bytes (flat arrays, 96 B per type), per type dead totals, per generation totals.</summary>
    private struct Histogram(HeapIndex index, int typeCount, RetentionResult? retention) : IObjectVisitor
    {
        public readonly HolderCells? Holders = retention is null ? null : new();
        private readonly long[]? _parentAndHolder = retention?.ParentAndHolder;
        private readonly HolderTable? _table = retention?.Rules.Table;
        private const int G = HeapGenerations.Count;
        public readonly long[] LiveCount = new long[typeCount * G];
        public readonly long[] LiveBytes = new long[typeCount * G];
        public readonly long[] DeadCount = new long[typeCount];
        public readonly long[] DeadBytes = new long[typeCount];
        public readonly long[] GenLiveCount = new long[G], GenLiveBytes = new long[G];
        public readonly long[] GenDeadCount = new long[G], GenDeadBytes = new long[G];
        public readonly long[] GenFreeCount = new long[G], GenFreeBytes = new long[G];
        public HeapSegmentInfo Segment = null!;

        public readonly void Add(Histogram other)
        {
            Sum(LiveCount, other.LiveCount); Sum(LiveBytes, other.LiveBytes);
            Sum(DeadCount, other.DeadCount); Sum(DeadBytes, other.DeadBytes);
            Sum(GenLiveCount, other.GenLiveCount); Sum(GenLiveBytes, other.GenLiveBytes);
            Sum(GenDeadCount, other.GenDeadCount); Sum(GenDeadBytes, other.GenDeadBytes);
            Sum(GenFreeCount, other.GenFreeCount); Sum(GenFreeBytes, other.GenFreeBytes);
            if (Holders is not null && other.Holders is not null)
                Holders.AddAll(other.Holders);
        }

        private static void Sum(long[] into, long[] from)
        {
            for (int i = 0; i < into.Length; i++)
                into[i] += from[i];
        }

        /// <summary>The free blocks of the current segment (the index keeps them apart from its objects).</summary>
        public readonly void AddFreeBlocks()
        {
            for (int f = Segment.FirstFree; f < Segment.FirstFree + Segment.FreeCount; f++)
            {
                int g = (int)Segment.GenerationOf(index.FreeStarts[f]);
                GenFreeCount[g]++;
                GenFreeBytes[g] += (long)index.FreeSizes[f];
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Visit(int i, ulong address, bool live)
        {
            int type = index.TypeIds[i];
            long size = (long)index.SizeOf(i);
            int g = (int)Segment.GenerationOf(address);
            if (live)
            {
                LiveCount[type * G + g]++;
                LiveBytes[type * G + g] += size;
                GenLiveCount[g]++;
                GenLiveBytes[g] += size;
                if (Holders is not null)
                    Holders.Add(((long)type << 32) | (uint)_table!.State(RetentionResult.HolderOf(_parentAndHolder![i])).Text, size, address);
            }
            else
            {
                DeadCount[type]++;
                DeadBytes[type] += size;
                GenDeadCount[g]++;
                GenDeadBytes[g] += size;
            }
        }
    }
}
