// LeakExt benchmark: `./build.sh bench [--scale S] [--runs N] [--reuse]`.
// Dumps the BigHeap target once, then measures each way of taking a snapshot in a fresh child
// process per run (so peak memory is that run's own), interleaved, and reports medians.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LeakExt.Bench;
using LeakExt.Core.Capture;
using LeakExt.Core.Files;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

if (args.Length >= 3 && args[0] == "measure")
    return args[1] switch
    {
        "retention" => RetentionBench.Measure(args[2]),
        "gcroot" => RetentionBench.MeasureGcRoot(args[2]),
        _ => Measure(args[1], args[2]),
    };

double scale = 1.0;
int runs = 3;
bool reuse = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--scale": scale = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--reuse": reuse = true; break;
        default:
            Console.Error.WriteLine("usage: LeakExt.Bench [--scale S] [--runs N] [--reuse]");
            return 2;
    }
}

string root = FindRoot();
string outDirectory = Path.Combine(root, "artifacts", "bench");
Directory.CreateDirectory(outDirectory);
string dump = Path.Combine(outDirectory, $"bigheap-{scale.ToString(CultureInfo.InvariantCulture)}.dmp");
if (!reuse || !File.Exists(dump))
{
    Console.WriteLine($"Building the big heap (scale {scale}) and dumping it…");
    var clock = Stopwatch.StartNew();
    new CheckpointRunner
    {
        FileName = "dotnet",
        Arguments = [Path.Combine(root, "artifacts", "targets", "BigHeap", "BigHeap.dll"), scale.ToString(CultureInfo.InvariantCulture)],
        Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
        CheckpointTimeout = TimeSpan.FromMinutes(10),
    }.Run((pid, _, _) => DumpWriter.WriteHeapDump(pid, dump, new OutputOptions(Force: true)));
    Console.WriteLine($"  {new FileInfo(dump).Length / (1 << 20)} MiB dump in {clock.Elapsed.TotalSeconds:0.0} s: {dump}");
}

string[] modes = ["fast", "fast-noholders", "clrmd", "naive"];
var results = modes.ToDictionary(m => m, _ => new List<JsonElement>());
for (int run = 0; run < runs; run++)
{
    foreach (string mode in modes)
    {
        JsonElement result = RunChild(mode, dump);
        results[mode].Add(result);
        Console.WriteLine($"  run {run + 1} {mode,-6} {result.GetProperty("seconds").GetDouble(),7:0.000} s  " +
                          $"peak private +{result.GetProperty("peakAnonDelta").GetInt64() / (1 << 20),5} MiB  peak RSS +{result.GetProperty("peakRssDelta").GetInt64() / (1 << 20),5} MiB");
    }
}

double loadSeconds = MeasureLeaksnapLoad(outDirectory);

var retentionRuns = new List<JsonElement>();
var gcRootRuns = new List<JsonElement>();
for (int run = 0; run < runs; run++)
{
    retentionRuns.Add(RunChild("retention", dump));
    gcRootRuns.Add(RunChild("gcroot", dump));
    Console.WriteLine($"  run {run + 1} retention: first rootpath {retentionRuns[^1].GetProperty("firstRootpath").GetDouble():0.000} s, " +
                      $"dominators {retentionRuns[^1].GetProperty("dominators").GetDouble():0.000} s; naive GCRoot {gcRootRuns[^1].GetProperty("seconds").GetDouble():0.000} s");
}

var report = new StringBuilder();
JsonElement first = results["fast"][0];
long objects = first.GetProperty("objects").GetInt64();
long live = first.GetProperty("live").GetInt64();
report.AppendLine($"Heap: {objects:N0} objects, {live:N0} live, dump {new FileInfo(dump).Length / (1 << 20):N0} MiB; {runs} runs each, medians; {Environment.ProcessorCount} cores.");
report.AppendLine();
report.AppendLine("| way | !snapshot wall time | objects/s | peak private memory, extra | per object | peak RSS incl. mapped dump, extra | vs naive |");
report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
double naive = Median(results["naive"].Select(r => r.GetProperty("seconds").GetDouble()));
foreach (string mode in modes)
{
    double seconds = Median(results[mode].Select(r => r.GetProperty("seconds").GetDouble()));
    double anon = Median(results[mode].Select(r => (double)r.GetProperty("peakAnonDelta").GetInt64()));
    double rss = Median(results[mode].Select(r => (double)r.GetProperty("peakRssDelta").GetInt64()));
    string name = mode switch
    {
        "fast" => "LeakExt fast reader, with holders (default)",
        "fast-noholders" => "LeakExt fast reader, without holders",
        "clrmd" => "LeakExt, ClrMD per-object reader, with holders",
        _ => "naive ClrMD (EnumerateObjects + HashSet mark)",
    };
    report.AppendLine($"| {name} | {seconds:0.000} s | {objects / seconds / 1e6:0.0} M | {anon / (1 << 20):0} MiB | {anon / objects:0.0} B | {rss / (1 << 20):0} MiB | {naive / seconds:0.0}× faster |");
}
report.AppendLine();
report.AppendLine($".leaksnap with 100,000 type rows: loads in {loadSeconds * 1000:0} ms (median of 5).");
report.AppendLine();
double holders = Median(results["fast"].Select(r => r.GetProperty("seconds").GetDouble()));
double plain = Median(results["fast-noholders"].Select(r => r.GetProperty("seconds").GetDouble()));
report.AppendLine($"Holders add {100 * (holders - plain) / plain:0}% to !snapshot ({plain:0.000} s → {holders:0.000} s).");
report.AppendLine();
report.AppendLine("| retention query (target: one Order deep in the customer dictionary) | median |");
report.AppendLine("|---|---:|");
foreach ((string key, string label) in new[]
{
    ("firstRootpath", "first !rootpath on a fresh session (walk, marking with holders, reference graph)"),
    ("laterRootpath", "later !rootpath"),
    ("firstBackrefs", "first !backrefs -depth 10 on a fresh session"),
    ("laterBackrefs", "later !backrefs -depth 10"),
    ("dominators", "!dominators -top 20 after the graph (Lengauer–Tarjan over all live objects)"),
    ("dominatorsFresh", "!dominators -top 20 on a fresh session, everything included"),
})
{
    double seconds = Median(retentionRuns.Select(r => r.GetProperty(key).GetDouble()));
    report.AppendLine($"| {label} | {(seconds < 1 ? $"{seconds * 1000:0} ms" : $"{seconds:0.00} s")} |");
}
double gcRoot = Median(gcRootRuns.Select(r => r.GetProperty("seconds").GetDouble()));
double firstRootpath = Median(retentionRuns.Select(r => r.GetProperty("firstRootpath").GetDouble()));
report.AppendLine($"| naive: ClrMD GCRoot, first path to the same object | {gcRoot:0.00} s ({gcRoot / firstRootpath:0.0}× our first !rootpath) |");
Console.WriteLine();
Console.Write(report);
File.WriteAllText(Path.Combine(outDirectory, "results.md"), report.ToString());
return 0;

static JsonElement RunChild(string mode, string dump)
{
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
    start.ArgumentList.Add(typeof(MemorySampler).Assembly.Location);
    start.ArgumentList.Add("measure");
    start.ArgumentList.Add(mode);
    start.ArgumentList.Add(dump);
    start.Environment["DOTNET_gcServer"] = "0";
    using Process process = Process.Start(start)!;
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
        throw new InvalidOperationException($"measure {mode} failed with exit code {process.ExitCode}: {output}");
    return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
}

static int Measure(string mode, string dump)
{
    var open = Stopwatch.StartNew();
    using var session = new TargetSession(LeakTarget.OpenDump(dump));
    _ = session.Target.Runtime.Heap.Segments.Length;
    double openSeconds = open.Elapsed.TotalSeconds;
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();

    long objects, live;
    var clock = new Stopwatch();
    using (var sampler = new MemorySampler())
    {
        clock.Start();
        if (mode == "naive")
        {
            (objects, live) = NaiveSnapshot.Take(session.Target.Runtime.Heap);
        }
        else if (mode == "fast-noholders")
        {
            var heap = LiveHeap.Build(session.Target, HeapReaderKind.Fast, null, CancellationToken.None, holders: false);
            Snapshot snapshot = SnapshotBuilder.Build(heap, new SnapshotInfo(null, DateTimeOffset.UtcNow, "bench", null, "", 8, false, 1, "fast", 0),
                LeakExt.Core.Growth.RuntimeMemoryMap.Read(session.Target.Runtime).Gc);
            objects = snapshot.Totals.LiveCount + snapshot.Totals.DeadCount + snapshot.Totals.FreeCount;
            live = snapshot.Totals.LiveCount;
        }
        else
        {
            Snapshot snapshot = session.TakeSnapshot(null, mode == "fast" ? HeapReaderKind.Fast : HeapReaderKind.ClrMd, null, CancellationToken.None);
            objects = snapshot.Totals.LiveCount + snapshot.Totals.DeadCount + snapshot.Totals.FreeCount;
            live = snapshot.Totals.LiveCount;
        }
        clock.Stop();
        sampler.Dispose();
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = mode,
            ["seconds"] = clock.Elapsed.TotalSeconds,
            ["openSeconds"] = openSeconds,
            ["objects"] = objects,
            ["live"] = live,
            ["peakAnonDelta"] = sampler.PeakAnon - sampler.BaselineAnon,
            ["peakRssDelta"] = sampler.PeakRss - sampler.BaselineRss,
        }));
    }
    return 0;
}

static double MeasureLeaksnapLoad(string directory)
{
    var types = Enumerable.Range(0, 100_000).Select(i =>
        new TypeStats($"Generated.Namespace.Type{i}<System.String, System.Int32>", "Generated.dll", i + 1, (i + 1) * 24L,
            [i + 1, 0, 0, 0, 0, 0], [(i + 1) * 24L, 0, 0, 0, 0, 0], 0, 0)).ToArray();
    // Totals that match the rows (all in gen0): a reader refuses a file whose totals do not.
    long count = types.Sum(t => t.Count), bytes = types.Sum(t => t.Bytes);
    var generations = HeapGenerations.Names.Select((g, i) => i == 0 ? new GenerationTotals(g, count, bytes, 0, 0, 0, 0) : new GenerationTotals(g, 0, 0, 0, 0, 0, 0)).ToArray();
    var snapshot = new Snapshot(new SnapshotInfo("bench", DateTimeOffset.UtcNow, "bench", null, "10.0", 8, false, 1, "fast", 0),
        new HeapTotals(count, bytes, 0, 0, 0, 0, 0, 0, generations), types, new Dictionary<string, long>(), 0, 0, new SnapshotDiagnostics(0, 0, 0, 0));
    string path = Path.Combine(directory, "rows-100k.leaksnap");
    SnapshotFile.Write(snapshot, path, new OutputOptions(Force: true));
    var times = new List<double>();
    for (int i = 0; i < 5; i++)
    {
        var clock = Stopwatch.StartNew();
        SnapshotFile.Read(path);
        times.Add(clock.Elapsed.TotalSeconds);
    }
    return Median(times);
}

static double Median(IEnumerable<double> values)
{
    double[] sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static string FindRoot()
{
    for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "DbgLeakExt.sln")))
            return dir.FullName;
    throw new InvalidOperationException("run from inside the repository");
}
