using System.Diagnostics;
using System.Text.Json;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Bench;

/// <summary>Times the retention queries on the big heap, and ClrMD's GCRoot for the same object.</summary>
internal static class RetentionBench
{
    /// <summary>Two Orders deep in the customer dictionary, from a plain snapshot's holder examples.</summary>
    private static (ulong First, ulong Second) Targets(string dump)
    {
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        Snapshot snapshot = session.TakeSnapshot(null, HeapReaderKind.Fast, null, CancellationToken.None);
        ulong first = snapshot.Holders.First(h => h.Type == "BigHeap.Order").ExampleAddress;
        ulong second = snapshot.Holders.First(h => h.Type == "BigHeap.Customer").ExampleAddress;
        return (first, second);
    }

    public static int Measure(string dump)
    {
        (ulong order, ulong customer) = Targets(dump);
        var times = new Dictionary<string, double>();
        using (var session = new TargetSession(LeakTarget.OpenDump(dump)))
        {
            _ = session.Target.Runtime.Heap.Segments.Length;
            times["firstRootpath"] = Time(() => session.RootPaths(order, 1, null, CancellationToken.None));
            times["laterRootpath"] = Time(() => session.RootPaths(customer, 1, null, CancellationToken.None));
            times["laterBackrefs"] = Time(() => session.Backrefs(order, null, 10, 100, false, false, null, CancellationToken.None));
            times["dominators"] = Time(() => session.Dominators(20, null, CancellationToken.None));
        }
        using (var session = new TargetSession(LeakTarget.OpenDump(dump)))
        {
            _ = session.Target.Runtime.Heap.Segments.Length;
            times["firstBackrefs"] = Time(() => session.Backrefs(order, null, 10, 100, false, false, null, CancellationToken.None));
        }
        using (var session = new TargetSession(LeakTarget.OpenDump(dump)))
        {
            _ = session.Target.Runtime.Heap.Segments.Length;
            times["dominatorsFresh"] = Time(() => session.Dominators(20, null, CancellationToken.None));
        }
        Console.WriteLine(JsonSerializer.Serialize(times));
        return 0;
    }

    public static int MeasureGcRoot(string dump)
    {
        (ulong order, _) = Targets(dump);
        using var target = LeakTarget.OpenDump(dump);
        ClrHeap heap = target.Runtime.Heap;
        _ = heap.Segments.Length;
        double seconds = Time(() =>
        {
            var gcRoot = new GCRoot(heap, [order]);
            foreach ((ClrRoot root, GCRoot.ChainLink path) in gcRoot.EnumerateRootPaths())
                break;
        });
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double> { ["seconds"] = seconds }));
        return 0;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
