using System.Buffers.Binary;
using LeakExt.Core.Heap;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Infrastructure;

/// <summary>
/// Objects of a clean dump chosen to be damaged: ordinary live objects of the small object heap
/// (gen0 included: the tests pin a large gen0 budget, so most objects are there) that something else holds (so that their loss shows), that no root names (roots are read
/// through the runtime, not the walk), and whose own bytes could not pass for a MethodTable (no
/// pointer-sized integers), so that what the damage destroys is exactly known. Among those that
/// fit, the middle one by address.
/// </summary>
internal static class Victims
{
    /// <summary>A plain object (no length field).</summary>
    public static int Fixed(HeapOracle heap) =>
        Pick(heap, node => Layout(heap, node).ComponentSize == 0 && Ordinary(heap, node) && !HoldsRawPointers(heap.Type(node)));

    /// <summary>A plain object whose first field, read as a free block's length, runs past its segment.</summary>
    public static int FixedWithFarLength(HeapOracle heap) =>
        Pick(heap, node => Layout(heap, node).ComponentSize == 0 && Ordinary(heap, node) && !HoldsRawPointers(heap.Type(node))
                           && 24 + (ulong)ReadUInt32(heap, heap.Address(node) + 8) > heap.SegmentOf(node).End - heap.Address(node));

    /// <summary>A string that is not empty.</summary>
    public static int String(HeapOracle heap) =>
        Pick(heap, node => heap.Type(node).IsString && heap.Index.SizeOf(node) > 24 && Ordinary(heap, node));

    /// <summary>An array of references that holds some.</summary>
    public static int ReferenceArray(HeapOracle heap) =>
        Pick(heap, node => Layout(heap, node) is { ComponentSize: 8, SeriesCount: > 0 } && Ordinary(heap, node)
                           && heap.Analysis.Graph(CancellationToken.None).Successors(node).Length > 0);

    /// <summary>
    /// A live object <c>From</c> (plain, or an array of references) and the one object <c>To</c> it alone
    /// holds, by one reference at <c>Offset</c>: cutting that reference kills what only <c>To</c> holds.
    /// </summary>
    public static (int From, int To, ulong Offset) SoleReference(HeapOracle heap, bool fromArray)
    {
        int from = Pick(heap, node => Ordinary(heap, node) && (fromArray ? Layout(heap, node) is { ComponentSize: 8, SeriesCount: > 0 } : Layout(heap, node).ComponentSize == 0)
                                       && SoleTarget(heap, node) >= 0);
        int to = SoleTarget(heap, from);
        byte[] bytes = new byte[heap.Index.SizeOf(from)];
        heap.Target.DataTarget.DataReader.Read(heap.Address(from), bytes);
        for (int offset = 8; offset + 8 <= bytes.Length; offset += 8)
            if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)) == heap.Address(to))
                return (from, to, (ulong)offset);
        throw new InvalidOperationException($"no slot of 0x{heap.Address(from):x} holds 0x{heap.Address(to):x}");
    }

    /// <summary>
    /// 64 KiB from the start of an object of the small object heap, clear of the threads' allocation
    /// contexts, that destroy live objects but no root object; the stretch destroyed runs to where the
    /// next intact object starts.
    /// </summary>
    public static (ulong Start, ulong End) ZeroedRun(HeapOracle heap, int length)
    {
        MemoryRange[] contexts = heap.Target.Runtime.Heap.EnumerateAllocationContexts().ToArray();
        foreach (HeapSegmentInfo segment in heap.Index.Segments)
        {
            if (!segment.IsSmallObjectHeap || segment.End - segment.Start < (ulong)length * 2)
                continue;
            for (int node = segment.FirstObject; node < segment.FirstObject + segment.ObjectCount; node += 97)
            {
                ulong start = heap.Address(node);
                if (start + (ulong)length + 4096 > segment.End)
                    break;
                ulong end = heap.NextStartAtOrAfter(start + (ulong)length, segment);
                bool anyLive = false, anyRoot = false;
                for (int n = node; n < segment.FirstObject + segment.ObjectCount && heap.Address(n) < end; n++)
                {
                    anyLive |= heap.IsLive(n);
                    anyRoot |= heap.Analysis.IsRootNode(n);
                }
                if (anyLive && !anyRoot && !contexts.Any(c => c.Start < end && start < c.End + 24))
                    return (start, end);
            }
        }
        throw new InvalidOperationException($"no small-object-heap segment has {length:N0} bytes to zero clear of the allocation contexts and the root objects");
    }

    private static int SoleTarget(HeapOracle heap, int node)
    {
        foreach (int target in heap.Analysis.Graph(CancellationToken.None).Successors(node))
            if (heap.Analysis.Graph(CancellationToken.None).Predecessors(target) is [int only] && only == node && heap.IsLive(target) && !heap.Analysis.IsRootNode(target)
                && heap.Analysis.Graph(CancellationToken.None).Successors(node).ToArray().Count(t => t == target) == 1)
                return target;
        return -1;
    }

    private static bool Ordinary(HeapOracle heap, int node) =>
        heap.IsLive(node) && !heap.Analysis.IsRootNode(node) && heap.SegmentOf(node).IsSmallObjectHeap
        && heap.Analysis.Graph(CancellationToken.None).Predecessors(node).Length > 0;

    private static bool HoldsRawPointers(ClrType type) =>
        type.Name is null or "System.RuntimeType" || type.Fields.Any(f => f.ElementType is ClrElementType.NativeInt or ClrElementType.NativeUInt
            or ClrElementType.Pointer or ClrElementType.FunctionPointer or ClrElementType.Int64 or ClrElementType.UInt64);

    private static TypeLayout Layout(HeapOracle heap, int node) => heap.Index.Types.Layouts[heap.Index.TypeIds[node]];

    private static uint ReadUInt32(HeapOracle heap, ulong address)
    {
        Span<byte> bytes = stackalloc byte[4];
        heap.Target.DataTarget.DataReader.Read(address, bytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    private static int Pick(HeapOracle heap, Func<int, bool> fits)
    {
        var candidates = new List<int>();
        for (int node = 0; node < heap.Index.ObjectCount; node++)
            if (fits(node))
                candidates.Add(node);
        Assert.True(candidates.Count > 0, "no object of this dump fits the damage");
        return candidates[candidates.Count / 2];
    }
}
