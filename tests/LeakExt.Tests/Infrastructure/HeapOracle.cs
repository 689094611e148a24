using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Infrastructure;

/// <summary>What a damaged copy of a dump must read as, in every count: the expectation, exact.</summary>
internal sealed record DamageExpectation(
    ulong[] StartBits, ulong[] MethodTables, ulong[] Sizes, ulong[] FreeStarts, ulong[] MarkBits,
    long InvalidReferences, long UnresolvedRoots, long CorruptObjects, long UnreadableBytes);

/// <summary>
/// The clean dump a damaged copy is made from, read once, as the oracle: objects the damage destroys
/// are no longer objects (their bytes unreadable, each destroyed stretch one corrupt object), and
/// what only they kept alive dies; every reference a live object holds to them becomes an invalid
/// reference. It stands apart from the readers under test: its objects are checked to be exactly
/// those of ClrMD's own per-object walk, its references are ClrMD's (the ClrMD reader's graph), and
/// liveness is recomputed by its own search over that graph from the clean root objects (checked to
/// give the clean live set unchanged).
/// </summary>
internal sealed class HeapOracle : IDisposable
{
    private readonly TargetSession _session;
    private readonly ulong[] _addresses;

    public HeapOracle(string dump)
    {
        _session = new TargetSession(LeakTarget.OpenDump(dump));
        // The ClrMD reader first: the analysis then takes its references from ClrMD's enumeration.
        _session.GetLiveHeap(HeapReaderKind.ClrMd, null, CancellationToken.None);
        Analysis = _session.GetAnalysis(null, CancellationToken.None);
        AssertListsClrMdsObjects(_session.Target, Index);
        _addresses = new ulong[Index.ObjectCount];
        for (int s = 0; s < Index.Segments.Length; s++)
        {
            var collect = new Addresses(_addresses);
            Index.ForEachInSegment(s, ref collect);
        }
    }

    public RetentionAnalysis Analysis { get; }
    public HeapIndex Index => Analysis.Index;
    public LeakTarget Target => _session.Target;
    public ulong Address(int node) => _addresses[node];
    public ulong Extent(int node) => (Math.Max(Index.SizeOf(node), 24) + 7) & ~7UL;
    public ClrType Type(int node) => Index.Types[Index.TypeIds[node]];
    public bool IsLive(int node) => Analysis.IsLive(node);

    /// <summary>That an index lists exactly the objects and free blocks ClrMD's own per-object walk does, in order, with the same types and sizes.</summary>
    public static void AssertListsClrMdsObjects(LeakTarget target, HeapIndex index)
    {
        int node = 0, free = 0;
        foreach (ClrObject obj in target.Runtime.Heap.Segments.OrderBy(s => s.Start).SelectMany(s => s.EnumerateObjects()))
        {
            if (obj.IsFree)
            {
                Assert.True(free < index.FreeStarts.Length, $"ClrMD has more free blocks, the next at 0x{obj.Address:x}");
                Assert.Equal((obj.Address, obj.Size), (index.FreeStarts[free], index.FreeSizes[free]));
                free++;
                continue;
            }
            Assert.True(node < index.ObjectCount, $"ClrMD has more objects, the next at 0x{obj.Address:x}");
            Assert.Equal((obj.Address, obj.Type!.MethodTable, obj.Size), (index.AddressOf(node), index.Types[index.TypeIds[node]].MethodTable, index.SizeOf(node)));
            node++;
        }
        Assert.Equal(index.ObjectCount, node);
        Assert.Equal(index.FreeStarts.Length, free);
    }

    private readonly struct Addresses(ulong[] addresses) : IObjectVisitor
    {
        public void Visit(int index, ulong address, bool marked) => addresses[index] = address;
    }

    /// <summary>The segment an object is in.</summary>
    public HeapSegmentInfo SegmentOf(int node) => Index.Segments[Index.FindSegment(_addresses[node])];

    /// <summary>The live objects reached from the roots without passing through <paramref name="lost"/> nor over <paramref name="cut"/> (one reference).</summary>
    public Bitset Reached(ISet<int> lost, (int From, int To)? cut = null)
    {
        var reached = new Bitset(Index.ObjectCount);
        var stack = new Stack<int>();
        foreach (int root in Analysis.RootNodes())
            if (!lost.Contains(root) && reached.TrySet(root))
                stack.Push(root);
        bool cutDone = false;
        while (stack.Count > 0)
        {
            int node = stack.Pop();
            foreach (int next in Analysis.Graph(CancellationToken.None).Successors(node))
            {
                if (!cutDone && cut is { } edge && edge.From == node && edge.To == next)
                {
                    cutDone = true;
                    continue;
                }
                if (!lost.Contains(next) && reached.TrySet(next))
                    stack.Push(next);
            }
        }
        return reached;
    }

    /// <summary>
    /// What the dump reads as once each of <paramref name="destroyed"/> (a stretch of heap from an object's
    /// start to where the next intact object starts) holds no object: one corrupt object per stretch, its
    /// bytes unreadable, every object and free block starting in it gone; or once the one reference
    /// <paramref name="cut"/> points nowhere (an invalid reference).
    /// </summary>
    public DamageExpectation Without(IReadOnlyList<(ulong Start, ulong End)> destroyed, (int From, int To)? cut = null)
    {
        bool Destroyed(ulong address) => destroyed.Any(d => address >= d.Start && address < d.End);
        var lost = new HashSet<int>(Enumerable.Range(0, Index.ObjectCount).Where(n => Destroyed(_addresses[n])));
        Bitset reached = Reached(lost, cut);
        ulong[] starts = (ulong[])Index.StartBits.Clone();
        ulong[] marks = new ulong[starts.Length];
        var methodTables = new List<ulong>();
        var sizes = new List<ulong>();
        long invalid = Analysis.Heap.Marks.InvalidReferences + (cut is { } c && reached[c.From] ? 1 : 0);
        for (int node = 0; node < Index.ObjectCount; node++)
        {
            (long word, ulong bit) = Bit(node);
            if (lost.Contains(node))
            {
                starts[word] &= ~bit;
                continue;
            }
            methodTables.Add(Type(node).MethodTable);
            sizes.Add(Index.SizeOf(node));
            if (!reached[node])
                continue;
            Assert.True(IsLive(node), $"the oracle reaches 0x{_addresses[node]:x}, which the clean marking left dead");
            marks[word] |= bit;
            foreach (int next in Analysis.Graph(CancellationToken.None).Successors(node))
                if (lost.Contains(next))
                    invalid++;
        }
        return new DamageExpectation(starts, methodTables.ToArray(), sizes.ToArray(), Index.FreeStarts.Where(f => !Destroyed(f)).ToArray(),
            marks, invalid, Analysis.Heap.Marks.UnresolvedRoots, destroyed.Count, destroyed.Sum(d => (long)(d.End - d.Start)));
    }

    private (long Word, ulong Bit) Bit(int node)
    {
        ulong address = _addresses[node];
        HeapSegmentInfo segment = Index.Segments[Index.FindSegment(address)];
        ulong slot = (address - segment.Start) >> 3;
        return (segment.FirstWord + (long)(slot >> 6), 1UL << (int)(slot & 63));
    }

    /// <summary>Where the next object or free block starts at or after <paramref name="address"/> in its segment (the segment's end when none).</summary>
    public ulong NextStartAtOrAfter(ulong address, HeapSegmentInfo segment)
    {
        ulong next = segment.End;
        for (int node = segment.FirstObject; node < segment.FirstObject + segment.ObjectCount; node++)
            if (_addresses[node] >= address)
            {
                next = _addresses[node];
                break;
            }
        for (int f = segment.FirstFree; f < segment.FirstFree + segment.FreeCount; f++)
            if (Index.FreeStarts[f] >= address)
                return Math.Min(next, Index.FreeStarts[f]);
        return next;
    }

    public void Dispose() => _session.Dispose();
}
