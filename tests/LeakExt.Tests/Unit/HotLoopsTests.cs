using System.Reflection;
using System.Runtime.CompilerServices;
using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>The hot loops compiled ahead while a target opens: the snapshot's own, closed over the types a snapshot uses, each compilable.</summary>
public sealed class HotLoopsTests
{
    [Fact]
    public void The_snapshot_path_lists_the_walk_marking_histogram_and_pinning_loops_closed_over_the_snapshots_types()
    {
        MethodBase[] methods = HotLoops.SnapshotPath().ToArray();
        string[] names = methods.Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToArray();

        Assert.Contains("SegmentWalker.Run", names);
        Assert.Contains("Walk`2.DrainBatch", names);
        Assert.Contains("Walk`2.ClaimSlice", names);
        Assert.Contains("Walk`2.SettleSlice", names);
        Assert.Contains("FastReferenceReader.Read", names);
        Assert.Contains("Histogram.Visit", names);
        Assert.Contains("HolderCells.Add", names);
        string[] visitors = methods.Where(m => m.Name == nameof(HeapIndex.ForEachInSegment)).Select(m => m.GetGenericArguments()[0].Name).ToArray();
        Assert.Equal(["FrozenVisitor`2", "Histogram", "PinnedHeapVisitor"], visitors);

        Assert.Equal(methods.Length, methods.Distinct().Count());
        Assert.All(methods, m =>
        {
            Assert.False(m.ContainsGenericParameters, $"{m.DeclaringType}.{m.Name} is not closed");
            Assert.True(m.Name == nameof(HeapIndex.ForEachInSegment) || (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0);
        });
        // The walk's marking is compiled as the snapshot runs it: over the dump's reader and the holder rules.
        Assert.All(methods.Where(m => m.DeclaringType!.Name == "Walk`2"),
            m => Assert.Equal(["FastReferenceReader", "Adapter"], m.DeclaringType!.GetGenericArguments().Select(a => a.Name)));
    }

    [Fact]
    public void Every_listed_method_compiles()
    {
        foreach (MethodBase method in HotLoops.SnapshotPath())
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
    }
}
