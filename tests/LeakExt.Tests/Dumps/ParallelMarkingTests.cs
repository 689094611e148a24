using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// Marking in parallel batches (children claimed by the earliest entry that meets them, large arrays
/// cut into byte ranges, holder states looked up by each worker) gives exactly the one-thread walk's
/// result: every object's mark, parent and holder, the holder table in the same order, the same
/// invalid references. On BigHeap (large arrays of strings and of dictionary entries), WebApp (ASP.NET
/// Core plumbing held back until last, dependent handles) and Crawler; also with a batch for every
/// frontier, however short.
/// </summary>
[Collection("dumps")]
public sealed class ParallelMarkingTests(DumpFixture fixture)
{
    public static TheoryData<string, string, int> Targets => new()
    {
        { "BigHeap", "0.5", 4096 },
        { "BigHeap", "0.5", 1 },
        { "WebApp", "", 4096 },
        { "WebApp", "", 1 },
        { "Crawler", "", 1 },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Parallel_batches_mark_what_one_thread_marks(string target, string argument, int parallelFrom)
    {
        if (Parallelism.Workers < 2)
            return; // one core: marking never runs in parallel, so both walks are the same walk
        string dump = (argument == "" ? fixture.Dumps(target) : fixture.Dumps(target, false, argument))[^1];
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        LeakTarget leakTarget = session.Target;
        HeapIndex index = session.GetLiveHeap(HeapReaderKind.Fast, null, CancellationToken.None).Index;
        RootSet roots = RootSet.Collect(leakTarget.Runtime, CancellationToken.None);
        IReadOnlyDictionary<ulong, string> owners = NamedOwners.Find(leakTarget.Runtime.Heap, index, CancellationToken.None);
        using SegmentMemory memory = SegmentMemory.Create(leakTarget, index.Segments);

        RetentionResult Mark(bool parallel)
        {
            var rules = new HolderRules(index.Types, new HolderTable());
            return RetentionMarker.Mark(index, roots, new FastReferenceReader(index, memory), new HolderRules.Adapter(rules), null, CancellationToken.None,
                owners, parallel ? () => new FastReferenceReader(index, memory) : null, parallelFrom);
        }

        RetentionResult one = Mark(parallel: false), many = Mark(parallel: true);

        Assert.Equal(one.Marks.LiveCount, many.Marks.LiveCount);
        Assert.Equal(one.Marks.InvalidReferences, many.Marks.InvalidReferences);
        Assert.Equal(one.Marks.MarkBits, many.Marks.MarkBits);
        int differ = Enumerable.Range(0, index.ObjectCount).Count(i => one.ParentAndHolder[i] != many.ParentAndHolder[i]);
        Assert.True(differ == 0, $"{differ:N0} of {index.ObjectCount:N0} objects have another parent or holder when marked in parallel");
        Assert.Equal(one.Table.StateCount, many.Table.StateCount);
        Assert.Equal(Enumerable.Range(0, one.Table.StateCount).Select(s => (one.Table.State(s), one.Table.Text(one.Table.State(s).Text))),
            Enumerable.Range(0, many.Table.StateCount).Select(s => (many.Table.State(s), many.Table.Text(many.Table.State(s).Text))));
    }
}
