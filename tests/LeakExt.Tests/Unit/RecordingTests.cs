using LeakExt.Cli;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

/// <summary>The retry of a GC in progress and the pace of `leakext record`, without a process.</summary>
public sealed class RecordingTests
{
    [Fact]
    public void A_gc_in_progress_is_retried_with_growing_waits_then_given_up()
    {
        var waits = new List<(int Attempt, TimeSpan Wait)>();
        int calls = 0;
        int result = GcRetry.Run(() => ++calls < 3 ? throw new GcInProgressException("busy") : calls, (a, w) => waits.Add((a, w)), CancellationToken.None);
        Assert.Equal(3, result);
        Assert.Equal([(2, TimeSpan.FromMilliseconds(100)), (3, TimeSpan.FromMilliseconds(200))], waits);

        calls = 0;
        Assert.Throws<GcInProgressException>(() => GcRetry.Run<int>(() => { calls++; throw new GcInProgressException("busy"); }, null, CancellationToken.None));
        Assert.Equal(GcRetry.Attempts, calls);

        // Other errors are not retried.
        calls = 0;
        Assert.Throws<LeakExt.Core.LeakExtException>(() => GcRetry.Run<int>(() => { calls++; throw new LeakExt.Core.LeakExtException("no such process"); }, null, CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Cancelling_stops_the_retries()
    {
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            GcRetry.Run<int>(() => throw new GcInProgressException("busy"), (_, _) => cancel.Cancel(), cancel.Token));
    }

    [Fact]
    public void The_wait_runs_from_the_end_of_a_snapshot_and_is_never_shorter_than_it()
    {
        var pace = new RecordingPace(TimeSpan.FromMilliseconds(50), 3);
        Assert.Equal(TimeSpan.Zero, pace.WaitBeforeNext());
        pace.Starting();
        Thread.Sleep(200);
        (string line, string? warning) = pace.Taken(1, SyntheticSnapshots.Make("a", SyntheticSnapshots.Type("App.Order", 10, 1000)), "/tmp/a.leaksnap");
        // The snapshot took about 200 ms, longer than the 50 ms asked for: the process gets as long to run.
        Assert.InRange(pace.WaitBeforeNext().TotalMilliseconds, 150, 260);
        Assert.StartsWith("  1/3  12:00:00  took ", line);
        Assert.Contains("live 1000 B, 10 objects  → a.leaksnap; next in ", line);
        Assert.NotNull(warning);
        Assert.Contains("longer than the 50 ms interval", warning);

        pace.Starting();
        (line, warning) = pace.Taken(2, SyntheticSnapshots.Make("b", SyntheticSnapshots.Type("App.Order", 20, 3048)), "/tmp/b.leaksnap");
        Assert.Contains("live 3.0 KiB (+2.0 KiB), 20 objects", line);
        Assert.Null(warning);
        Assert.InRange(pace.WaitBeforeNext().TotalMilliseconds, 0, 50);
        Assert.StartsWith("Done: 2 of 3 snapshots in ", pace.Summary(2, "/tmp/series"));
        Assert.EndsWith("Read the trend with: leakext heapgrowth /tmp/series", pace.Summary(2, "/tmp/series"));
    }
}
