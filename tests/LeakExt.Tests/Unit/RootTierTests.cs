using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Unit;

/// <summary>
/// The breadth-first marker on synthetic heaps: paths start at the highest-priority root tier
/// (statics, then handles, then stacks, then the finalizer queue), and are shortest within a tier.
/// </summary>
public sealed class RootTierTests
{
    private const ulong Base = 0x10_0000;

    private static ulong Address(int node) => Base + (ulong)node * 32;

    /// <summary>A heap of <paramref name="count"/> 24-byte objects, 32 bytes apart, in one gen2 segment.</summary>
    private static HeapIndex SyntheticHeap(int count)
    {
        var segment = new HeapSegmentInfo
        {
            Start = Base, End = Address(count), Kind = GCSegmentKind.Generation2, Gen0 = default, Gen1 = default,
        };
        HeapSegmentInfo[] segments = [segment];
        ulong[] bits = HeapIndexBuilder.AllocateStartBits(segments);
        var builder = new HeapIndexBuilder(segments, bits);
        builder.BeginSegment(0);
        for (int i = 0; i < count; i++)
            builder.Add(Address(i), 0, 24);
        return HeapIndexBuilder.Combine(segments, bits, [builder], new TypeTable(null!, null!));
    }

    /// <summary>References by node; a negative target -n is a pointer into the middle of node n-1 (no object start: invalid).</summary>
    private readonly struct Edges(Dictionary<int, int[]> edges) : IReferenceReader
    {
        public bool FollowsLayouts => false;

        public void Prefetch(ulong address, int segment)
        {
        }

        public int ReadRange(ulong address, int segment, ReferenceBuffer buffer, long from, long to) =>
            buffer.KeepRange(Read(address, segment, buffer), from, to);

        public int ReadPart(ulong address, int segment, ReferenceBuffer buffer, ref long resume)
        {
            resume = -1;
            return Read(address, segment, buffer);
        }

        public int Read(ulong address, int segment, ReferenceBuffer buffer)
        {
            buffer.TypeId = 0;
            int count = 0;
            if (edges.TryGetValue((int)((address - Base) / 32), out int[]? targets))
                foreach (int target in targets)
                    buffer.Add(ref count, target >= 0 ? Address(target) : Address(-target - 1) + 8, 8 + 8 * (count % 4));
            return count;
        }
    }

    /// <summary>Holder texts that record the path: root name, then one "›n" step per hop.</summary>
    private readonly struct PathRules(HolderTable table) : IHolderRules
    {
        public HolderTable Table => table;
        public int RootState(string rootName) => table.StateOf(new HolderState(table.RootText(rootName), CollectionKind.None, -1, -1));
        public int ChildState(int parentState, int parentType, long offset, int childType) =>
            table.StateOf(new HolderState(table.Extend(table.State(parentState).Text, "n"), CollectionKind.None, -1, -1));
        public long StateOffset(int parentType, long offset) => offset;
        public int HiddenState(int parentState, int parentType, string label) =>
            table.StateOf(new HolderState(table.Extend(table.State(parentState).Text, label), CollectionKind.None, -1, -1));
    }

    private static RetentionResult Mark(int nodes, Dictionary<int, int[]> edges, params (int Node, RootKind Kind, string Name)[] roots) =>
        Mark(nodes, edges, parallel: false, roots);

    private static RetentionResult Mark(int nodes, Dictionary<int, int[]> edges, bool parallel, params (int Node, RootKind Kind, string Name)[] roots)
    {
        var rootSet = new RootSet
        {
            Objects = roots.Select(r => Address(r.Node)).ToArray(),
            Kinds = roots.Select(r => r.Kind).ToArray(),
            NameIds = Enumerable.Range(0, roots.Length).ToArray(),
            Names = roots.Select(r => r.Name).ToList(),
            Hidden = HiddenEdges.None,
            CountsByKind = new Dictionary<string, long>(),
            FinalizerQueueLength = 0,
            FinalizableObjects = 0,
        };
        var reader = new Edges(edges);
        return RetentionMarker.Mark(SyntheticHeap(nodes), rootSet, reader, new PathRules(new HolderTable()), null, CancellationToken.None,
            readers: parallel ? () => reader : null, parallelFrom: 1);
    }

    private static string RootOf(RetentionResult result, int node)
    {
        while (!RetentionResult.IsRoot(result.Parent(node)))
            node = result.Parent(node);
        return result.RootName(result.Parent(node));
    }

    [Fact]
    public void A_static_root_wins_over_a_shorter_path_from_a_stack()
    {
        // static → 0 → 1 → 2 → 3, and a stack slot → 4 → 3.
        var edges = new Dictionary<int, int[]> { [0] = [1], [1] = [2], [2] = [3], [4] = [3] };
        RetentionResult result = Mark(5, edges, (4, RootKind.Stack, "thread 0x1 Main"), (0, RootKind.Static, "static App.s_cache"));
        Assert.Equal(2, result.Parent(3));
        Assert.Equal("static App.s_cache", RootOf(result, 3));
        Assert.Equal("static App.s_cache › n › n › n", result.HolderText(3));
        Assert.Equal("thread 0x1 Main", RootOf(result, 4));
    }

    [Fact]
    public void Handles_come_before_the_finalizer_queue()
    {
        // finalizer queue → 0; strong handle → 1 → 0.
        var edges = new Dictionary<int, int[]> { [1] = [0] };
        RetentionResult result = Mark(2, edges, (0, RootKind.FinalizerQueue, "finalizer queue"), (1, RootKind.StrongHandle, "strong handle"));
        Assert.Equal(1, result.Parent(0));
        Assert.Equal("strong handle", RootOf(result, 0));
    }

    [Fact]
    public void Within_a_tier_the_shortest_path_wins_and_unreachable_objects_stay_dead()
    {
        // static A → 0 → 1 → 2 → 5; static B → 3 → 5; 4 is reachable from nothing.
        var edges = new Dictionary<int, int[]> { [0] = [1], [1] = [2], [2] = [5], [3] = [5] };
        RetentionResult result = Mark(6, edges, (0, RootKind.Static, "static A.a"), (3, RootKind.Static, "static B.b"));
        Assert.Equal(3, result.Parent(5));
        Assert.Equal("static B.b", RootOf(result, 5));
        Assert.Equal(RetentionResult.Unreached, result.Parent(4));
        Assert.Equal(-1, result.Holder(4));
        Assert.Equal(5, result.Marks.LiveCount);
    }

    [Fact]
    public void Cycles_terminate_and_every_node_is_visited_once()
    {
        var edges = new Dictionary<int, int[]> { [0] = [1], [1] = [2], [2] = [0, 3], [3] = [1] };
        RetentionResult result = Mark(4, edges, (0, RootKind.Stack, "thread 0x2 Run"));
        Assert.Equal(4, result.Marks.LiveCount);
        Assert.Equal([1, 2], new[] { result.Parent(2), result.Parent(3) });
    }

    [Fact]
    public void Marking_in_parallel_batches_gives_the_one_thread_walks_parents_holders_and_counts()
    {
        // 30,000 nodes, three references each (one in fifty into the middle of an object), two root tiers.
        var random = new Random(20261202);
        const int nodes = 30_000;
        var edges = new Dictionary<int, int[]>();
        for (int n = 0; n < nodes; n++)
            edges[n] = Enumerable.Range(0, 3).Select(_ => random.Next(50) == 0 ? -random.Next(nodes) - 1 : random.Next(nodes)).ToArray();
        (int, RootKind, string)[] roots = [(7, RootKind.StrongHandle, "handle"), (12_345, RootKind.Stack, "stack"), (29_999, RootKind.StrongHandle, "handle 2")];

        RetentionResult one = Mark(nodes, edges, parallel: false, roots);
        RetentionResult batched = Mark(nodes, edges, parallel: true, roots);

        Assert.Equal(one.ParentAndHolder, batched.ParentAndHolder);
        Assert.Equal(one.Marks.MarkBits, batched.Marks.MarkBits);
        Assert.Equal((one.Marks.LiveCount, one.Marks.InvalidReferences), (batched.Marks.LiveCount, batched.Marks.InvalidReferences));
        Assert.Equal(Enumerable.Range(0, nodes).Select(one.HolderText), Enumerable.Range(0, nodes).Select(batched.HolderText));
        Assert.True(one.Marks.InvalidReferences > 0 && one.Marks.LiveCount > nodes / 2, "the graph should exercise invalid references and a large frontier");
    }
}
