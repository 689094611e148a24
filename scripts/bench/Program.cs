// LeakExt benchmark: `./build.sh bench [--scale S] [--runs N] [--reuse]`.
// Dumps the BigHeap target once, then measures each way of taking a snapshot in a fresh child
// process per run (so peak memory is that run's own), interleaved, and reports medians.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LeakExt.Bench;
using LeakExt.Core.Capture;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

if (args.Length >= 3 && args[0] == "measure")
    return Measure(args[1], args[2]);

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
    }.Run((pid, _, _) => DumpWriter.WriteHeapDump(pid, dump));
    Console.WriteLine($"  {new FileInfo(dump).Length / (1 << 20)} MiB dump in {clock.Elapsed.TotalSeconds:0.0} s: {dump}");
}

string[] modes = ["fast", "clrmd", "naive"];
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
    string name = mode switch { "fast" => "LeakExt fast reader", "clrmd" => "LeakExt, ClrMD per-object reader", _ => "naive ClrMD (EnumerateObjects + HashSet mark)" };
    report.AppendLine($"| {name} | {seconds:0.000} s | {objects / seconds / 1e6:0.0} M | {anon / (1 << 20):0} MiB | {anon / objects:0.0} B | {rss / (1 << 20):0} MiB | {naive / seconds:0.0}× faster |");
}
report.AppendLine();
report.AppendLine($".leaksnap with 100,000 type rows: loads in {loadSeconds * 1000:0} ms (median of 5).");
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
    var generations = HeapGenerations.Names.Select(g => new GenerationTotals(g, 0, 0, 0, 0, 0, 0)).ToArray();
    var snapshot = new Snapshot(new SnapshotInfo("bench", DateTimeOffset.UtcNow, "bench", null, "10.0", 8, false, 1, "fast", 0),
        new HeapTotals(0, 0, 0, 0, 0, 0, 0, 0, generations), types, new Dictionary<string, long>(), 0, 0, new SnapshotDiagnostics(0, 0, 0, 0));
    string path = Path.Combine(directory, "rows-100k.leaksnap");
    SnapshotFile.Write(snapshot, path);
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
