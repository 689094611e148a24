using System.Diagnostics;
using System.Text.Json;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Bench;

/// <summary>
/// What the benchmark measures inside one process (`LeakExt.Bench measure MODE DUMP`): the phase
/// breakdown of a snapshot and of the retention queries, the naive ClrMD baseline, and the
/// objects the path queries are asked about. Each prints one JSON line.
/// </summary>
internal static class InProcess
{
    public static int Measure(string mode, string dump, string[] rest) => mode switch
    {
        "phases" => Phases(dump, rest.Length > 0 ? Convert.ToUInt64(rest[0], 16) : 0),
        "naive" => Naive(dump),
        "targets" => Targets(dump, rest[0]),
        "leaksnap" => LeaksnapLoad(dump),
        _ => throw new ArgumentException($"unknown measure mode '{mode}'"),
    };

    /// <summary>Open, snapshot phase by phase (with the extra private memory it took), then the retention queries after it.</summary>
    private static int Phases(string dump, ulong pathTarget)
    {
        var clock = Stopwatch.StartNew();
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        _ = session.Target.Runtime.Heap.Segments.Length;
        double open = clock.Elapsed.TotalSeconds;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Snapshot snapshot;
        double snapshotSeconds;
        long extraPrivate;
        using (var sampler = new MemorySampler())
        {
            clock.Restart();
            snapshot = session.TakeSnapshot(null, HeapReaderKind.Fast, null, CancellationToken.None);
            snapshotSeconds = clock.Elapsed.TotalSeconds;
            sampler.Dispose();
            extraPrivate = sampler.PeakAnon - sampler.BaselineAnon;
        }
        var result = new Dictionary<string, object>
        {
            ["open"] = open,
            ["snapshot"] = snapshotSeconds,
            ["snapshotExtraPrivate"] = extraPrivate,
            ["objects"] = snapshot.Totals.LiveCount + snapshot.Totals.DeadCount + snapshot.Totals.FreeCount,
            ["live"] = snapshot.Totals.LiveCount,
            ["phases"] = session.LastSnapshotPhases!.Phases.ToDictionary(p => p.Phase, p => new[] { p.Seconds, p.CpuSeconds }),
        };
        if (pathTarget != 0)
        {
            // rootpath follows the marking's parents; backrefs and dominators need the reference graph, built on first use.
            result["rootpath"] = Time(() => session.RootPaths(pathTarget, 1, null, CancellationToken.None));
            result["laterRootpath"] = Time(() => session.RootPaths(pathTarget, 1, null, CancellationToken.None));
            result["graph"] = Time(() => session.GetAnalysis(null, CancellationToken.None).Graph(CancellationToken.None));
            result["backrefs"] = Time(() => session.Backrefs(pathTarget, null, 10, 100, false, false, null, CancellationToken.None));
            result["laterBackrefs"] = Time(() => session.Backrefs(pathTarget, null, 10, 100, false, false, null, CancellationToken.None));
            result["dominators"] = Time(() => session.Dominators(20, null, CancellationToken.None));
            result["laterDominators"] = Time(() => session.Dominators(20, null, CancellationToken.None));
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static int Naive(string dump)
    {
        // ClrMD's own dump reader, not LeakTarget's mapped one; LeakExt's options only to find the local DAC.
        using DataTarget dataTarget = DataTarget.LoadDump(dump, LeakTarget.CreateOptions(null));
        using ClrRuntime runtime = dataTarget.ClrVersions[0].CreateRuntime();
        (long objects, long live) = NaiveSnapshot.Take(runtime.Heap);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, long> { ["objects"] = objects, ["live"] = live }));
        return 0;
    }

    /// <summary>
    /// The object the path queries are asked about: for the plain heap an Order deep in the customer
    /// dictionary; for the chain its tail (the Link whose Next is null: the first allocated, so the lowest).
    /// The other shapes are measured by their snapshot only.
    /// </summary>
    private static int Targets(string dump, string shape)
    {
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        Snapshot snapshot = session.TakeSnapshot(null, HeapReaderKind.Fast, null, CancellationToken.None);
        ulong address = shape switch
        {
            "plain" => snapshot.Holders.First(h => h.Type == "BigHeap.Order").ExampleAddress,
            "chain" => ChainTail(session.Target.Runtime.Heap, snapshot.Holders.Where(h => h.Type == "BigHeap.Link").Min(h => h.ExampleAddress)),
            _ => throw new ArgumentException($"no path target for the {shape} shape"),
        };
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string> { ["address"] = $"{address:x}" }));
        return 0;
    }

    private static ulong ChainTail(ClrHeap heap, ulong lowest)
    {
        if (heap.GetObject(lowest).ReadObjectField("<Next>k__BackingField").IsNull)
            return lowest;
        foreach (ClrObject obj in heap.EnumerateObjects())
            if (obj.Type?.Name == "BigHeap.Link" && obj.ReadObjectField("<Next>k__BackingField").IsNull)
                return obj.Address;
        throw new InvalidOperationException("the chain has no tail");
    }

    /// <summary>Loading a .leaksnap of 100,000 type rows (median of 5); <paramref name="directory"/> is where it is written.</summary>
    private static int LeaksnapLoad(string directory)
    {
        var types = Enumerable.Range(0, 100_000).Select(i =>
            new TypeStats($"Generated.Namespace.Type{i}<System.String, System.Int32>", "Generated.dll", i + 1, (i + 1) * 24L,
                [i + 1, 0, 0, 0, 0, 0], [(i + 1) * 24L, 0, 0, 0, 0, 0], 0, 0)).ToArray();
        // Totals that match the rows (all in gen0): a reader refuses a file whose totals do not.
        long count = types.Sum(t => t.Count), bytes = types.Sum(t => t.Bytes);
        var generations = HeapGenerations.Names.Select((g, i) => new GenerationTotals(g, i == 0 ? count : 0, i == 0 ? bytes : 0, 0, 0, 0, 0)).ToArray();
        var snapshot = new Snapshot(new SnapshotInfo("bench", DateTimeOffset.UtcNow, "bench", null, "10.0", 8, false, 1, "fast", 0),
            new HeapTotals(count, bytes, 0, 0, 0, 0, 0, 0, generations), types, new Dictionary<string, long>(), 0, 0, new SnapshotDiagnostics(0, 0, 0, 0));
        string path = Path.Combine(directory, "rows-100k.leaksnap");
        SnapshotFile.Write(snapshot, path, new OutputOptions(Force: true));
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
            times.Add(Time(() => SnapshotFile.Read(path)));
        File.Delete(path);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double> { ["seconds"] = Suites.Median(times) }));
        return 0;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
