using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>A reusable buffer of references: target addresses and the byte offsets (from the object start) that hold them.</summary>
internal sealed class ReferenceBuffer
{
    /// <summary>
    /// The offset of the reference every object of a collectible type holds to its type's
    /// LoaderAllocator (the GC marks it with the object): the MethodTable's slot, where no field is.
    /// </summary>
    public const int LoaderAllocatorOffset = 0;

    public ulong[] Targets = new ulong[256];
    public int[] Offsets = new int[256];

    /// <summary>References per part of a resumable read (<see cref="IReferenceReader.ReadPart"/>): 768 KiB of buffer.</summary>
    public const int PartSize = 1 << 16;

    /// <summary>The type id of the object just read (-1 when its MethodTable is not a known type).</summary>
    public int TypeId;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ref int count, ulong target, long offset)
    {
        if (count == Targets.Length)
            Grow(count);
        Targets[count] = target;
        Offsets[count] = (int)offset;
        count++;
    }

    /// <summary>Keeps, in order, the first <paramref name="found"/> references whose offsets lie from <paramref name="from"/> up to <paramref name="to"/>; returns how many.</summary>
    public int KeepRange(int found, long from, long to)
    {
        int kept = 0;
        for (int i = 0; i < found; i++)
            if (Offsets[i] >= from && Offsets[i] < to)
                Add(ref kept, Targets[i], Offsets[i]);
        return kept;
    }

    private void Grow(int count)
    {
        if (count >= Array.MaxLength)
            throw new LeakExtException($"an object holds more than {Array.MaxLength:N0} references; LeakExt cannot follow them all.");
        int grown = (int)Math.Min(2L * count, Array.MaxLength);
        Array.Resize(ref Targets, grown);
        Array.Resize(ref Offsets, grown);
    }

    /// <summary>
    /// An offset as <see cref="Offsets"/> holds it: past 2 GiB into an (array) object only its place
    /// within an element matters for naming (see HolderRules' normalized offsets), so it is folded to that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Storable(long offset, uint componentSize) =>
        offset <= int.MaxValue || componentSize == 0 ? offset : 16 + (offset - 16) % componentSize;
}

/// <summary>Lists the non-null references held by one object into a reusable buffer.</summary>
internal interface IReferenceReader
{
    /// <summary>All of the object's references.</summary>
    int Read(ulong address, int segment, ReferenceBuffer buffer);

    /// <summary>
    /// The object's references from byte offset <paramref name="resume"/> on (0: from the start), at
    /// most about <see cref="ReferenceBuffer.PartSize"/> of them; <paramref name="resume"/> is then where
    /// the next part starts, or -1 when the object is done. So an array of 20 M references is followed
    /// with a buffer of 64 K, not one of 20 M. A reader that cannot resume returns everything at once.
    /// </summary>
    int ReadPart(ulong address, int segment, ReferenceBuffer buffer, ref long resume);

    /// <summary>
    /// The object's references at byte offsets from <paramref name="from"/> up to <paramref name="to"/>:
    /// one part of a large object, so that several threads read its parts at once.
    /// </summary>
    int ReadRange(ulong address, int segment, ReferenceBuffer buffer, long from, long to);

    /// <summary>
    /// Whether this reader finds references only where the type's layout has them, so an object
    /// whose layout has none (<see cref="TypeLayout.HasReferences"/>) need not be read at all.
    /// </summary>
    bool FollowsLayouts { get; }

    /// <summary>Asks the CPU to fetch the object's first cache line, to be read soon (a hint; readers without memory of their own ignore it).</summary>
    void Prefetch(ulong address, int segment);
}

/// <summary>Receives the reference slots of one object, in order.</summary>
internal interface ISlotVisitor
{
    /// <summary>One slot: its value and its offset from the object start. False stops the visit.</summary>
    bool Slot(ulong value, long offset);
}

/// <summary>The reference slots of an object, as its type's GC descriptor lays them out.</summary>
internal static unsafe class GcSlots
{
    /// <summary>
    /// Visits the slots of the object at <paramref name="obj"/> of <paramref name="size"/> bytes. No slot
    /// at or past the size is read, and none below offset 8 (<see cref="TypeTable"/> refuses such
    /// descriptors), so the caller bounds every read by bounding the size.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    /// <param name="from">Slots below this offset are skipped (without visiting them, in plain series; in
    /// a repeating pattern, from the element that holds it on).</param>
    public static void Visit<TVisitor>(byte* obj, long size, in TypeLayout layout, GcSeries[] series, ref TVisitor visitor, long from = 0)
        where TVisitor : struct, ISlotVisitor
    {
        if (layout.SeriesCount > 0)
        {
            for (int j = 0; j < layout.SeriesCount; j++)
            {
                GcSeries s = series[layout.FirstSeries + j];
                // A series' size is relative to the object's: it ends at s.Offset + s.Size + size.
                long offset = Math.Max(s.Offset, from);
                long stop = Math.Min(s.Offset + s.Size + size, size);
                for (; offset < stop; offset += 8)
                    if (!visitor.Slot(*(ulong*)(obj + offset), offset))
                        return;
            }
        }
        else if (layout.SeriesCount < 0)
        {
            int patterns = -layout.SeriesCount;
            long offset = layout.RepeatStart;
            // The pattern repeats once per element: start at the element holding `from`.
            if (from > offset && layout.ComponentSize != 0)
                offset += (from - offset) / layout.ComponentSize * layout.ComponentSize;
            while (offset < size - 8)
            {
                for (int i = 0; i < patterns; i++)
                {
                    GcSeries s = series[layout.FirstSeries + i];
                    long stop = offset + s.Size * 8;
                    do
                    {
                        if (offset + 8 > size || !visitor.Slot(*(ulong*)(obj + offset), offset))
                            return;
                        offset += 8;
                    } while (offset < stop);
                    offset += s.Offset;
                }
            }
        }
    }
}

/// <summary>
/// Decodes references from the object's own bytes: its MethodTable (through a direct-mapped
/// cache) gives the layout, the GC descriptor series give the reference slots. Reads only the
/// object's cache lines, no per-object index arrays, and never past its segment's end, whatever
/// its length field says.
/// </summary>
internal readonly unsafe struct FastReferenceReader : IReferenceReader
{
    private readonly HeapIndex _index;
    private readonly SegmentMemory _memory;
    private readonly TypeIdCache _cache;
    private readonly GcSeries[] _series;

    public FastReferenceReader(HeapIndex index, SegmentMemory memory)
    {
        _index = index;
        _memory = memory;
        _cache = new TypeIdCache(index.Types, mayAdd: false);
        _series = index.Types.Series;
    }

    public int Read(ulong address, int segment, ReferenceBuffer buffer)
    {
        long resume = 0;
        return Read(address, segment, buffer, ref resume, int.MaxValue);
    }

    public int ReadPart(ulong address, int segment, ReferenceBuffer buffer, ref long resume) =>
        Read(address, segment, buffer, ref resume, ReferenceBuffer.PartSize);

    public int ReadRange(ulong address, int segment, ReferenceBuffer buffer, long from, long to)
    {
        long resume = from;
        return Read(address, segment, buffer, ref resume, int.MaxValue, to);
    }

    public bool FollowsLayouts => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(ulong address, int segment)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(_memory.Base(segment) + (address - _index.Segments[segment].Start));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Read(ulong address, int segment, ReferenceBuffer buffer, ref long resume, int limit, long to = long.MaxValue)
    {
        long from = resume;
        resume = -1;
        HeapSegmentInfo info = _index.Segments[segment];
        byte* obj = _memory.Base(segment) + (address - info.Start);
        int typeId = _cache.Lookup(*(ulong*)obj & ~3UL);
        buffer.TypeId = typeId;
        if (typeId < 0)
            return 0;
        ref TypeLayout layout = ref _cache.Layouts[typeId];
        if (!layout.HasReferences)
            return 0;
        int count = 0;
        if (layout.LoaderAllocator != 0 && from == 0)
            buffer.Add(ref count, layout.LoaderAllocator, ReferenceBuffer.LoaderAllocatorOffset);

        long size = layout.BaseSize;
        if (layout.ComponentSize != 0)
            size += (long)(*(uint*)(obj + 8) + (layout.IsString ? 1u : 0u)) * layout.ComponentSize;
        if (size < 24)
            size = 24;
        // The walk checked this object's extent; the bound makes reading past the segment impossible all the same.
        long room = (long)(info.End - address);
        if (size > room)
            size = room;

        var collect = new Collect(buffer, count, layout.ComponentSize, from, limit, to);
        GcSlots.Visit(obj, size, in layout, _series, ref collect, from);
        resume = collect.Resume;
        return collect.Count;
    }

    /// <summary>Collects the slots from offset <paramref name="from"/> up to <paramref name="until"/>, at most <paramref name="limit"/> references.</summary>
    private struct Collect(ReferenceBuffer buffer, int count, uint componentSize, long from, int limit, long until) : ISlotVisitor
    {
        public int Count = count;
        public long Resume = -1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Slot(ulong value, long offset)
        {
            if (offset >= until)
                return false;
            if (value == 0 || offset < from)
                return true;
            if (Count >= limit)
            {
                Resume = offset;
                return false;
            }
            buffer.Add(ref Count, value, ReferenceBuffer.Storable(offset, componentSize));
            return true;
        }
    }
}

/// <summary>The baseline: ClrMD's per-object reference enumeration.</summary>
internal readonly struct ClrMdReferenceReader : IReferenceReader
{
    /// <summary>ClrMD counts reference offsets from after the MethodTable pointer; we count from the object start.</summary>
    public const int ObjectHeader = 8;

    private readonly ClrHeap _heap;
    private readonly TypeTable _types;

    public ClrMdReferenceReader(ClrHeap heap, TypeTable types)
    {
        _heap = heap;
        _types = types;
    }

    public bool FollowsLayouts => false;

    public void Prefetch(ulong address, int segment)
    {
    }

    public int ReadPart(ulong address, int segment, ReferenceBuffer buffer, ref long resume)
    {
        resume = -1;
        return Read(address, segment, buffer);
    }

    public int ReadRange(ulong address, int segment, ReferenceBuffer buffer, long from, long to) =>
        buffer.KeepRange(Read(address, segment, buffer), from, to);

    public int Read(ulong address, int segment, ReferenceBuffer buffer)
    {
        int count = 0;
        ClrObject obj = _heap.GetObject(address);
        buffer.TypeId = obj.Type is null ? -1 : _types.Find(obj.Type.MethodTable);
        if (buffer.TypeId >= 0 && _types.Layouts[buffer.TypeId].LoaderAllocator is ulong loaderAllocator and not 0)
            buffer.Add(ref count, loaderAllocator, ReferenceBuffer.LoaderAllocatorOffset);
        foreach (ClrReference reference in obj.EnumerateReferencesWithFields(carefully: false, considerDependantHandles: false))
            buffer.Add(ref count, reference.Object.Address, reference.Offset + ObjectHeader);
        return count;
    }
}
