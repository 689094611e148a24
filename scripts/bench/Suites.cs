using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace LeakExt.Bench;

/// <summary>
/// The benchmark's parts, in the order they run: the side-by-side comparison on the plain heap,
/// the phase breakdown, Ctrl-C latency, then (when asked) the heap shapes and the curve over scales.
/// Heavy runs never overlap: every measurement is one child process at a time.
/// </summary>
internal sealed class Suites(BenchOptions options, Tools tools, Heaps heaps)
{
    private readonly List<string> _notes = new();

    private double _firstLoad;

    public BenchResults RunAll()
    {
        double loadBefore = _firstLoad = Load();
        double scale = options.Scales[0];
        string dump = heaps.Build(scale, "plain");
        string target = Target(dump, "plain");
        bool compare = scale <= 2 || options.Compare;
        if (!compare)
            _notes.Add($"scale {scale}: dotnet-dump and the naive baseline skipped (minutes per run; --compare runs them)");
        if (tools.DotnetDump is null)
            _notes.Add("dotnet-dump is not restored ('dotnet tool restore'): its rows are missing");

        var commands = new List<(string Name, string Command, Func<TimeSpan?, Measurement> Run)>
        {
            ("leakext snapshot", "leakext analyze DUMP -c snapshot", at => Leakext("leakext snapshot", dump, "snapshot", at)),
            ("leakext rootpath", $"leakext analyze DUMP -c \"rootpath {target}\"", at => Leakext("leakext rootpath", dump, $"rootpath {target}", at)),
            ("leakext dominators", "leakext analyze DUMP -c dominators", at => Leakext("leakext dominators", dump, "dominators", at)),
        };
        if (tools.NativeLeakext is not null)
            commands.Add((ToolPackageSnapshot, "dotnet leakext.dll analyze DUMP -c snapshot (ReadyToRun)", at => Run(ToolPackageSnapshot, tools.ToolPackage(dump, "snapshot"), at)));
        if (compare && tools.DotnetDump is not null)
        {
            commands.Add(("dotnet-dump dumpheap -stat", "dotnet-dump analyze DUMP -c \"dumpheap -stat\"", _ => DotnetDump(dump, "dumpheap -stat")));
            commands.Add(("dotnet-dump dumpheap -stat -live", "dotnet-dump analyze DUMP -c \"dumpheap -stat -live\"", _ => DotnetDump(dump, "dumpheap -stat -live")));
            commands.Add(("dotnet-dump gcroot", $"dotnet-dump analyze DUMP -c \"gcroot {target}\"", _ => DotnetDump(dump, $"gcroot {target}")));
        }
        if (compare)
            commands.Add(("naive ClrMD", "EnumerateObjects histogram + HashSet mark (NaiveSnapshot.cs)", _ => Checked(ChildRun.Run("naive ClrMD", "dotnet", tools.BenchArguments("naive", dump)))));

        var measured = commands.ToDictionary(c => c.Name, _ => new List<Measurement>());
        var phaseRuns = new List<JsonElement>();
        for (int run = 0; run < options.Runs; run++)
        {
            foreach ((string name, _, Func<TimeSpan?, Measurement> measure) in commands)
            {
                Measurement m = measure(null);
                measured[name].Add(m);
                Console.WriteLine($"  run {run + 1} {name,-34} {m.Seconds,7:0.000} s  peak private {m.PeakPrivate / (1 << 20),6:N0} MiB  peak RSS {m.PeakRss / (1 << 20),6:N0} MiB");
            }
            phaseRuns.Add(Json(Checked(ChildRun.Run("phases", "dotnet", tools.BenchArguments("phases", dump, target))).Output));
        }

        JsonElement firstPhases = phaseRuns[0];
        long objects = firstPhases.GetProperty("objects").GetInt64();
        var rows = commands.Select(c => Row(c.Name, c.Command, measured[c.Name], objects)).ToList();
        var heap = new HeapInfo("plain", scale, objects, firstPhases.GetProperty("live").GetInt64(), new FileInfo(dump).Length, target);

        List<InterruptRow> interrupts = Interrupts(commands, rows);
        double leaksnap = Json(Checked(ChildRun.Run("leaksnap", "dotnet", tools.BenchArguments("leaksnap", Path.GetDirectoryName(dump)!))).Output)
            .GetProperty("seconds").GetDouble();
        _notes.Add($"a .leaksnap of 100,000 type rows loads in {leaksnap * 1000:0} ms (median of 5)");
        List<ShapeRow> shapes = options.Shapes ? Shapes(rows[0], objects, dump) : [];
        List<CurveRow> curve = Curve(rows[0], heap, phaseRuns);
        heaps.Drop(dump);

        var machine = new MachineInfo(DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture), Environment.ProcessorCount,
            loadBefore, Load(), RuntimeInformation.FrameworkDescription, tools.DotnetDumpVersion, tools.LeakextBuild);
        return new BenchResults(machine, heap, rows, Ratios(rows), RunRatios(rows), Breakdown(phaseRuns, objects), interrupts, shapes, curve, _notes);
    }

    /// <summary>The snapshot row of the tool package's leakext, beside the native one's.</summary>
    private const string ToolPackageSnapshot = "leakext snapshot, tool package";

    private Measurement Leakext(string name, string dump, string command, TimeSpan? interruptAt) => Run(name, tools.Leakext(dump, command), interruptAt);

    private static Measurement Run(string name, (string File, IEnumerable<string> Arguments) program, TimeSpan? interruptAt) =>
        interruptAt is null ? Checked(ChildRun.Run(name, program.File, program.Arguments))
            : ChildRun.Run(name, program.File, program.Arguments, interruptAt);

    private Measurement DotnetDump(string dump, string command) =>
        Checked(ChildRun.Run("dotnet-dump " + command, "dotnet", tools.DotnetDumpArguments(dump, command)));

    private string Target(string dump, string shape)
    {
        Measurement m = Checked(ChildRun.Run("targets", "dotnet", tools.BenchArguments("targets", dump, shape)));
        return Json(m.Output).GetProperty("address").GetString()!;
    }

    /// <summary>SIGINT at a fifth, two fifths, … of each leakext command's median time: how soon the process ends.</summary>
    private static List<InterruptRow> Interrupts(List<(string Name, string Command, Func<TimeSpan?, Measurement> Run)> commands, List<WholeProcessRow> rows)
    {
        var result = new List<InterruptRow>();
        foreach ((string name, _, Func<TimeSpan?, Measurement> run) in commands.Where(c => c.Name.StartsWith("leakext", StringComparison.Ordinal)))
        {
            double median = rows.First(r => r.Name == name).Seconds;
            foreach (double fraction in new[] { 0.2, 0.4, 0.6, 0.8 })
            {
                Measurement m = run(TimeSpan.FromSeconds(median * fraction));
                double? latency = m.SecondsAfterInterrupt;
                result.Add(new InterruptRow(name, Math.Round(median * fraction, 3), latency, m.ExitCode));
                Console.WriteLine($"  Ctrl-C {name} at {median * fraction:0.00} s: {(latency is { } l ? $"ended {l * 1000:0} ms later" : "had finished first")}, exit code {m.ExitCode}");
            }
        }
        return result;
    }

    /// <summary>Each shape's dump, with the plain heap's snapshot interleaved in the same runs (paired per-object cost).</summary>
    private List<ShapeRow> Shapes(WholeProcessRow plainRow, long plainObjects, string plainDump)
    {
        var rows = new List<ShapeRow>();
        foreach (string shape in new[] { "array", "chain", "dictionary", "generics" })
        {
            string dump = heaps.Build(1.0, shape);
            string? target = shape == "chain" ? Target(dump, shape) : null;
            double load = Load();
            var shapeRuns = new List<Measurement>();
            var plainRuns = new List<Measurement>();
            // The released dotnet-dump's dumpheap -stat on the same dump: what the shape costs a tool that only counts (no liveness, no holders).
            var sosRuns = new List<Measurement>();
            var queries = new Dictionary<string, List<Measurement>> { ["rootpath"] = new(), ["dominators"] = new() };
            for (int run = 0; run < options.Runs; run++)
            {
                shapeRuns.Add(Leakext("leakext snapshot", dump, "snapshot", null));
                plainRuns.Add(Leakext("leakext snapshot", plainDump, "snapshot", null));
                if (tools.DotnetDump is not null)
                    sosRuns.Add(DotnetDump(dump, "dumpheap -stat"));
                if (shape == "chain")
                {
                    queries["rootpath"].Add(Leakext("leakext rootpath", dump, $"rootpath {target}", null));
                    queries["dominators"].Add(Leakext("leakext dominators", dump, "dominators", null));
                }
                Console.WriteLine($"  run {run + 1} {shape,-10} snapshot {shapeRuns[^1].Seconds:0.000} s (plain {plainRuns[^1].Seconds:0.000} s" +
                                  (sosRuns.Count > 0 ? $", dumpheap -stat {sosRuns[^1].Seconds:0.000} s)" : ")") +
                                  (shape == "chain" ? $", rootpath of the tail {queries["rootpath"][^1].Seconds:0.000} s, dominators {queries["dominators"][^1].Seconds:0.000} s" : "") +
                                  $", load {Load():0.0}");
            }
            JsonElement phases = Json(Checked(ChildRun.Run("phases", "dotnet", tools.BenchArguments("phases", dump))).Output);
            long objects = phases.GetProperty("objects").GetInt64();
            double seconds = Median(shapeRuns.Select(m => m.Seconds));
            double plain = Median(plainRuns.Select(m => m.Seconds));
            long peakPrivate = (long)Median(shapeRuns.Select(m => (double)m.PeakPrivate));
            double plainPerObject = Median(plainRuns.Select(m => (double)m.PeakPrivate)) / plainObjects;
            rows.Add(new ShapeRow(shape, objects, phases.GetProperty("live").GetInt64(), seconds, seconds / objects * 1e9, plain / plainObjects * 1e9,
                Math.Round(seconds / objects / (plain / plainObjects), 2), peakPrivate, Math.Round((double)peakPrivate / objects, 1),
                Math.Round(plainPerObject, 1), Math.Round((double)peakPrivate / objects / plainPerObject, 2),
                queries.Where(q => q.Value.Count > 0).ToDictionary(q => q.Key, q => new QueryRow(Median(q.Value.Select(m => m.Seconds)),
                    (long)Median(q.Value.Select(m => (double)m.PeakPrivate)))), PhaseRows(phases), load,
                sosRuns.Count > 0 ? Median(sosRuns.Select(m => m.Seconds)) : null));
            heaps.Drop(dump);
        }
        return rows;
    }

    /// <summary>The snapshot at each further scale (dumps made and deleted one at a time), after the first scale's figures.</summary>
    private List<CurveRow> Curve(WholeProcessRow first, HeapInfo heap, List<JsonElement> firstPhases)
    {
        var rows = new List<CurveRow>
        {
            new(heap.Scale, heap.Objects, heap.Live, first.Seconds, first.Seconds / heap.Objects * 1e9, first.PeakPrivate, first.PrivatePerObject,
                first.PeakRss, PhaseRows(firstPhases[0]), _firstLoad),
        };
        foreach (double scale in options.Scales.Skip(1))
        {
            if (MissingMemory(scale) is { } missing)
            {
                _notes.Add(missing);
                Console.WriteLine($"  {missing}");
                continue;
            }
            string dump = heaps.Build(scale, "plain");
            double load = Load();
            var runs = new List<Measurement>();
            for (int run = 0; run < options.Runs; run++)
            {
                runs.Add(Leakext("leakext snapshot", dump, "snapshot", null));
                Console.WriteLine($"  run {run + 1} scale {scale}: snapshot {runs[^1].Seconds:0.000} s, peak private {runs[^1].PeakPrivate / (1 << 20):N0} MiB");
            }
            JsonElement phases = Json(Checked(ChildRun.Run("phases", "dotnet", tools.BenchArguments("phases", dump))).Output);
            long objects = phases.GetProperty("objects").GetInt64();
            WholeProcessRow row = Row("leakext snapshot", "", runs, objects);
            rows.Add(new CurveRow(scale, objects, phases.GetProperty("live").GetInt64(), row.Seconds, row.Seconds / objects * 1e9, row.PeakPrivate,
                row.PrivatePerObject, row.PeakRss, PhaseRows(phases), load));
            heaps.Drop(dump);
        }
        return rows;
    }

    /// <summary>Each ratio: its key, the slower command, the leakext command it is compared with.</summary>
    private static readonly (string Key, string Slower, string Leakext)[] RatioPairs =
    [
        ("dumpheapStatLiveOverSnapshot", "dotnet-dump dumpheap -stat -live", "leakext snapshot"),
        ("dumpheapStatOverSnapshot", "dotnet-dump dumpheap -stat", "leakext snapshot"),
        ("naiveOverSnapshot", "naive ClrMD", "leakext snapshot"),
        ("dumpheapStatLiveOverToolPackageSnapshot", "dotnet-dump dumpheap -stat -live", ToolPackageSnapshot),
        ("dumpheapStatOverToolPackageSnapshot", "dotnet-dump dumpheap -stat", ToolPackageSnapshot),
        ("gcrootOverRootpath", "dotnet-dump gcroot", "leakext rootpath"),
    ];

    private static Dictionary<string, double> Ratios(List<WholeProcessRow> rows)
    {
        double Seconds(string name) => rows.FirstOrDefault(r => r.Name == name)?.Seconds ?? double.NaN;
        return RatioPairs.Select(p => (p.Key, Ratio: Seconds(p.Slower) / Seconds(p.Leakext)))
            .Where(r => double.IsFinite(r.Ratio)).ToDictionary(r => r.Key, r => Math.Round(r.Ratio, 2));
    }

    /// <summary>The ratios round by round: the runs are interleaved, so the i-th times of two commands were taken under a minute apart.</summary>
    private static Dictionary<string, IReadOnlyList<double>> RunRatios(List<WholeProcessRow> rows)
    {
        var ratios = new Dictionary<string, IReadOnlyList<double>>();
        foreach ((string key, string slower, string leakext) in RatioPairs)
        {
            if (rows.FirstOrDefault(r => r.Name == slower) is not { } s || rows.FirstOrDefault(r => r.Name == leakext) is not { } l)
                continue;
            int runs = Math.Min(s.AllSeconds.Count, l.AllSeconds.Count);
            ratios[key] = Enumerable.Range(0, runs).Select(i => Math.Round(s.AllSeconds[i] / l.AllSeconds[i], 2)).ToArray();
        }
        return ratios;
    }

    private static PhaseBreakdown Breakdown(List<JsonElement> runs, long objects)
    {
        double M(string key) => Median(runs.Select(r => r.GetProperty(key).GetDouble()));
        var names = runs[0].GetProperty("phases").EnumerateObject().Select(p => p.Name).ToList();
        var phases = names.Select(n => new PhaseRow(n,
            Median(runs.Select(r => r.GetProperty("phases").GetProperty(n)[0].GetDouble())),
            Median(runs.Select(r => r.GetProperty("phases").GetProperty(n)[1].GetDouble())))).ToList();
        long extra = (long)Median(runs.Select(r => (double)r.GetProperty("snapshotExtraPrivate").GetInt64()));
        var retention = new Dictionary<string, double>();
        foreach (string key in new[] { "rootpath", "laterRootpath", "graph", "backrefs", "laterBackrefs", "dominators", "laterDominators" })
            if (runs[0].TryGetProperty(key, out _))
                retention[key] = M(key);
        return new PhaseBreakdown(M("open"), M("snapshot"), extra, Math.Round((double)extra / objects, 1), phases, retention);
    }

    private static List<PhaseRow> PhaseRows(JsonElement phases) =>
        phases.GetProperty("phases").EnumerateObject().Select(p => new PhaseRow(p.Name, p.Value[0].GetDouble(), p.Value[1].GetDouble())).ToList();

    private static WholeProcessRow Row(string name, string command, List<Measurement> runs, long objects)
    {
        double[] seconds = runs.Select(m => m.Seconds).ToArray();
        long peakPrivate = (long)Median(runs.Select(m => (double)m.PeakPrivate));
        return new WholeProcessRow(name, command, runs.Count, Median(seconds), seconds.Min(), seconds.Max(),
            (long)Median(runs.Select(m => (double)m.PeakRss)), peakPrivate, Math.Round((double)peakPrivate / objects, 1), seconds);
    }

    private static Measurement Checked(Measurement m)
    {
        if (m.ExitCode != 0 || m.Output.Length == 0)
            throw new InvalidOperationException($"{m.Name} failed (exit code {m.ExitCode}): {m.Error}{m.Output[..Math.Min(2000, m.Output.Length)]}");
        return m;
    }

    private static JsonElement Json(string output) => JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// Null when the machine has the memory a scale needs, else why the scale is skipped. The target
    /// holds about 560 MiB per scale unit (its dump's size), and the analysis after it its private
    /// memory (about 40 B per object, 10 M objects per scale unit) while it maps the dump; the two never
    /// run at once, so the larger of them with a quarter more is asked of MemAvailable.
    /// </summary>
    private static string? MissingMemory(double scale)
    {
        long needed = (long)(Math.Max(560.0 * (1 << 20), 40.0 * 10_200_000) * scale * 1.25);
        long available = File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024).FirstOrDefault();
        return available >= needed ? null
            : $"scale {scale.ToString(CultureInfo.InvariantCulture)} skipped: it needs about {needed >> 30} GiB of memory, {available >> 30} GiB is available";
    }

    private static double Load() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
