using System.Numerics;
using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The parallel half of breadth-first marking: the next objects of the frontier, in queue order,
/// have their references read by several threads at once (each with its own reader and buffers),
/// and each reference is resolved to its object (segment, mark word, index) and dropped when it is
/// no object (counted as invalid) or was marked before the batch began. The marker then applies
/// what is left in queue order on one thread, exactly as if it had read the objects itself, so
/// parents, holder tiers and every count are the same as a one-thread walk's.
/// Layout: per batch entry the object (8 B), its index, type id and candidate end (4 B each); per
/// candidate reference the address (8 B), its global mark slot (word × 64 + bit, 8 B), object
/// index, type id and offset (4 B each). Bounded
/// by the batch (objects larger than <see cref="LargeObjectBytes"/>, and entries past <see cref="MaxCandidates"/>
/// buffered references, are left to the marker), so at most about 7 MiB per worker whatever the heap's size.
/// </summary>
internal sealed class FrontierBatch<TReader> where TReader : IReferenceReader
{
    public const int Capacity = 1 << 12;

    /// <summary>References one worker buffers per batch (6 MiB); the entries after it are read by the marker itself.</summary>
    public const int MaxCandidates = 1 << 18;

    /// <summary>Objects at least this large (arrays of 64 K references and more) are read by the marker itself, not buffered twice.</summary>
    public const uint LargeObjectBytes = 512 * 1024;

    public readonly ulong[] Address = new ulong[Capacity];
    public readonly int[] Index = new int[Capacity];

    /// <summary>The type id the reader saw (-1: unknown MethodTable); the end of the entry's candidates in its worker's arrays; -1 for a large object.</summary>
    public readonly int[] TypeId = new int[Capacity], CandidateEnd = new int[Capacity];

    public int Count;

    private readonly Worker[] _workers;

    public FrontierBatch(Func<TReader> newReader, int workers)
    {
        _workers = new Worker[workers];
        for (int w = 0; w < workers; w++)
            _workers[w] = new Worker(newReader());
    }

    public int WorkerCount => _workers.Length;

    /// <summary>The first entry of worker <paramref name="w"/>'s slice (slices are contiguous, in order).</summary>
    public int SliceStart(int w) => (int)((long)Count * w / _workers.Length);

    public Worker WorkerOf(int w) => _workers[w];

    /// <summary>Reads and resolves the references of every entry; returns the references that are no object.</summary>
    public long Read(HeapIndex index, ulong[] marks, CancellationToken cancellationToken)
    {
        Parallelism.For(_workers.Length, cancellationToken, w => _workers[w].Read(this, index, marks, SliceStart(w), SliceStart(w + 1), cancellationToken));
        long invalid = 0;
        foreach (Worker worker in _workers)
            invalid += worker.Invalid;
        return invalid;
    }

    internal sealed class Worker(TReader reader)
    {
        private readonly ReferenceBuffer _references = new();
        public ulong[] Address = new ulong[4096];
        public long[] Slot = new long[4096];
        public int[] Index = new int[4096], Type = new int[4096], Offset = new int[4096];
        public long Invalid;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Read(FrontierBatch<TReader> batch, HeapIndex index, ulong[] marks, int from, int to, CancellationToken cancellationToken)
        {
            int count = 0;
            long invalid = 0;
            HeapSegmentInfo[] segments = index.Segments;
            ulong[] startBits = index.StartBits;
            uint[] rank = index.Rank;
            for (int j = from; j < to; j++)
            {
                if ((j & 1023) == 1023)
                    cancellationToken.ThrowIfCancellationRequested();
                if (count >= MaxCandidates || index.Sizes[batch.Index[j]] >= LargeObjectBytes)
                {
                    batch.CandidateEnd[j] = -1;
                    continue;
                }
                ulong address = batch.Address[j];
                int found = reader.Read(address, index.FindSegment(address), _references);
                batch.TypeId[j] = _references.TypeId;
                ulong[] targets = _references.Targets;
                for (int i = 0; i < found; i++)
                {
                    ulong target = targets[i];
                    int segment = index.FindSegment(target);
                    if (segment < 0 || (target & 7) != 0)
                    {
                        invalid++;
                        continue;
                    }
                    HeapSegmentInfo info = segments[segment];
                    ulong slot = (target - info.Start) >> 3;
                    long wordIndex = info.FirstWord + (long)(slot >> 6);
                    ulong bit = 1UL << (int)(slot & 63);
                    ulong starts = startBits[wordIndex];
                    if ((starts & bit) == 0)
                    {
                        invalid++;
                        continue;
                    }
                    if ((marks[wordIndex] & bit) != 0)
                        continue;
                    if (count == Address.Length)
                        Grow();
                    Address[count] = target;
                    Slot[count] = (wordIndex << 6) | (long)(slot & 63);
                    int childIndex = (int)(rank[wordIndex] + (uint)BitOperations.PopCount(starts & (bit - 1)));
                    Index[count] = childIndex;
                    // The child's type, read here in parallel: the marker settles its holder as it marks it.
                    Type[count] = index.TypeIds[childIndex];
                    Offset[count] = _references.Offsets[i];
                    count++;
                }
                batch.CandidateEnd[j] = count;
            }
            Invalid = invalid;
        }

        private void Grow()
        {
            int grown = Address.Length * 2;
            Array.Resize(ref Address, grown);
            Array.Resize(ref Slot, grown);
            Array.Resize(ref Index, grown);
            Array.Resize(ref Type, grown);
            Array.Resize(ref Offset, grown);
        }
    }
}
