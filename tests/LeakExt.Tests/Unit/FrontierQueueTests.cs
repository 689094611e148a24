using LeakExt.Core.Retention;
using Xunit;

namespace LeakExt.Tests.Unit;

/// <summary>The marking's frontier: first in, first out across its blocks, and the memory it reports and lets go when the marking ends.</summary>
public sealed class FrontierQueueTests
{
    private const int BlockEntries = 65_536;
    private const long BlockBytes = BlockEntries * sizeof(ulong);

    [Fact]
    public void Entries_come_out_in_the_order_they_went_in_across_blocks()
    {
        var queue = new FrontierQueue();
        // One at a time past a block's end, then a range that straddles the next boundary.
        for (ulong i = 0; i < BlockEntries + 10; i++)
            queue.Enqueue(i << 3);
        ulong[] range = Enumerable.Range(BlockEntries + 10, 2 * BlockEntries).Select(i => (ulong)i << 3).ToArray();
        queue.EnqueueRange(range);
        Assert.Equal(3 * BlockEntries + 10, queue.Count);
        Assert.Equal(4 * BlockBytes, queue.BlockBytes);

        for (ulong i = 0; i < 3 * BlockEntries + 10; i++)
        {
            Assert.Equal(i << 3, queue.Peek());
            Assert.Equal(i << 3, queue.Dequeue());
        }
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void An_emptied_queue_reuses_its_blocks_and_lets_the_spare_ones_go()
    {
        var queue = new FrontierQueue();
        for (ulong i = 0; i < 3 * BlockEntries; i++)
            queue.Enqueue(i << 3);
        while (queue.Count > 0)
            queue.Dequeue();
        // Filling it again takes no new block: the passed ones wait as spares.
        for (ulong i = 0; i < 3 * BlockEntries; i++)
            queue.Enqueue(i << 3);
        while (queue.Count > 0)
            queue.Dequeue();
        Assert.Equal(3 * BlockBytes, queue.BlockBytes);

        queue.ReleaseSpare();
        Assert.Equal(BlockBytes, queue.BlockBytes);
        queue.Enqueue(8);
        Assert.Equal(8UL, queue.Dequeue());
    }

    [Fact]
    public void Runs_are_read_where_they_lie_and_end_at_a_block_or_the_tail()
    {
        var queue = new FrontierQueue();
        for (ulong i = 0; i < BlockEntries + 100; i++)
            queue.Enqueue(i << 3);

        // The first block's entries, then (past its end) the second block's 100.
        Assert.Equal(1000, queue.PeekRun(1000, out ulong[] block, out int start));
        Assert.Equal((0UL, 999UL << 3), (block[start], block[start + 999]));
        queue.Skip(1000);
        Assert.Equal(BlockEntries - 1000, queue.PeekRun(int.MaxValue, out block, out start));
        Assert.Equal(1000UL << 3, block[start]);
        queue.Skip(BlockEntries - 1000);
        Assert.Equal(100, queue.PeekRun(int.MaxValue, out block, out start));
        Assert.Equal(((ulong)BlockEntries << 3, (ulong)(BlockEntries + 99) << 3), (block[start], block[start + 99]));
        queue.Skip(100);
        Assert.Equal(0, queue.Count);

        // Emptied by a skip, it starts its block over, as after the last dequeue.
        queue.Enqueue(8);
        Assert.Equal(1, queue.PeekRun(10, out block, out start));
        Assert.Equal((0, 8UL), (start, block[start]));
        Assert.Equal(8UL, queue.Dequeue());
    }

    [Fact]
    public void Held_back_references_report_their_blocks_and_let_them_go()
    {
        var deferred = new DeferredReferences();
        for (int i = 0; i < DeferredReferences.BlockSize + 1; i++)
            deferred.Add((ulong)i << 3, i, 0, 0, 0);
        Assert.Equal(2L * DeferredReferences.BlockSize * 24, deferred.BlockBytes);

        deferred.Release();
        Assert.Equal(0, deferred.Count);
        Assert.Equal(0, deferred.BlockBytes);
        deferred.Add(16, 1, 2, 3, 4);
        (DeferredReferences.Block block, int at) = deferred[0];
        Assert.Equal((16UL, 1, 2, 3, 4), (block.Address[at], block.Parent[at], block.ParentState[at], block.ParentType[at], block.Offset[at]));
    }
}
