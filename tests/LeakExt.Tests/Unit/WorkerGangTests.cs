using LeakExt.Core;
using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>The marking's team of threads: each part once per step, on its own thread, failures as themselves, no thread left behind.</summary>
public sealed class WorkerGangTests
{
    [Fact]
    public void Each_step_runs_every_part_exactly_once_and_part_k_always_on_helper_k()
    {
        const int Size = 3, Steps = 2000;
        using var gang = new WorkerGang(Size);
        long[] runs = new long[Size];
        var threads = new Thread?[Size];
        bool sameThreads = true;
        long[] stepSums = new long[Steps];
        for (int step = 0; step < Steps; step++)
        {
            int current = step;
            gang.Run(part =>
            {
                Interlocked.Increment(ref runs[part]);
                Interlocked.Add(ref stepSums[current], 1L << (8 * part));
                Thread? first = Interlocked.CompareExchange(ref threads[part], Thread.CurrentThread, null);
                if (first is not null && first != Thread.CurrentThread)
                    sameThreads = false;
            });
            // Run returned only after every part of this step ended: all three counted, once each.
            Assert.Equal(1L + (1L << 8) + (1L << 16), stepSums[current]);
        }

        Assert.All(runs, count => Assert.Equal(Steps, count));
        Assert.True(sameThreads);
        Assert.Equal(Thread.CurrentThread, threads[0]);
        Assert.Equal(Size, threads.Distinct().Count());
    }

    [Fact]
    public void A_helpers_failure_is_rethrown_as_itself_and_the_gang_stays_usable()
    {
        using var gang = new WorkerGang(2);
        var thrown = Assert.Throws<LeakExtException>(() => gang.Run(part =>
        {
            if (part == 1)
                throw new LeakExtException("part 1 failed");
        }));
        Assert.Equal("part 1 failed", thrown.Message);

        Assert.Throws<OperationCanceledException>(() => gang.Run(part => throw new OperationCanceledException()));

        int ran = 0;
        gang.Run(_ => Interlocked.Increment(ref ran));
        Assert.Equal(2, ran);
    }

    [Fact]
    public void Dispose_ends_the_helper_threads_and_a_later_step_is_refused()
    {
        var gang = new WorkerGang(3);
        var helpers = new Thread[3];
        gang.Run(part => helpers[part] = Thread.CurrentThread);
        Assert.All(helpers[1..], helper => Assert.True(helper.IsBackground));

        gang.Dispose();
        Assert.All(helpers[1..], helper => Assert.True(helper.Join(TimeSpan.FromSeconds(10)), $"{helper.Name} still runs"));
        Assert.Throws<ObjectDisposedException>(() => gang.Run(_ => { }));
        gang.Dispose();
    }

    [Fact]
    public void A_gang_of_one_runs_the_step_on_the_calling_thread()
    {
        using var gang = new WorkerGang(1);
        Thread? ranOn = null;
        gang.Run(part => ranOn = part == 0 ? Thread.CurrentThread : null);
        Assert.Equal(Thread.CurrentThread, ranOn);
    }
}
