using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>The Churn target keeps 1,000 Keeper objects and leaves 10,000 dead Garbage objects in the heap (see its header).</summary>
[Collection("dumps")]
public sealed class ChurnDumpTests(DumpFixture fixture)
{
    [Fact]
    public void Garbage_left_in_the_heap_is_dead_not_live()
    {
        Snapshot snapshot = Sessions.Snapshot(fixture.Dumps("Churn").Single());
        Assert.Equal(1000, snapshot.Live("Churn.Keeper"));
        Assert.Equal(0, snapshot.Live("Churn.Garbage"));
        Assert.Equal(10_000, snapshot.Dead("Churn.Garbage"));
        Assert.Equal(10_000 * 32, snapshot.Type("Churn.Garbage")!.DeadBytes);
        Assert.True(snapshot.Totals.DeadCount >= 10_000);
        Assert.True(snapshot.Totals.LiveCount < snapshot.Totals.DeadCount);
    }
}
