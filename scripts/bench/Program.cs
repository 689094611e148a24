// LeakExt benchmark: `./build.sh bench [--runs N] [--scale S[,S…]] [--shapes] [--compare] [--reuse]`
// (or `dump SHAPE SCALE` for one dump, kept, and `measure MODE DUMP …` for one in-process measurement).
// Measures what users run: whole processes, side by side and interleaved in one run, medians —
// leakext snapshot / rootpath / dominators, the released dotnet-dump's dumpheap -stat, dumpheap
// -stat -live and gcroot, and the naive ClrMD baseline, on one dump of the BigHeap target; then
// the in-process phase breakdown, how fast Ctrl-C ends each command, and optionally the heap
// shapes and the growth curve over scales. Results: artifacts/bench/results.json and results.md.
using System.Globalization;
using System.Text.Json;
using LeakExt.Bench;

if (args.Length >= 3 && args[0] == "measure")
    return InProcess.Measure(args[1], args[2], args[3..]);
// `LeakExt.Bench dump SHAPE SCALE`: only the dump, kept, for measuring by hand (`measure phases DUMP [ADDR]`).
if (args.Length == 3 && args[0] == "dump")
{
    string benchDirectory = Path.Combine(Tools.RepositoryRoot(), "artifacts", "bench");
    Directory.CreateDirectory(benchDirectory);
    Console.WriteLine(new Heaps(Tools.RepositoryRoot(), benchDirectory, reuse: true).Build(double.Parse(args[2], CultureInfo.InvariantCulture), args[1]));
    return 0;
}

var options = new BenchOptions();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--scale":
            options.Scales = args[++i].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            break;
        case "--runs": options.Runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--shapes": options.Shapes = true; break;
        case "--compare": options.Compare = true; break;
        case "--reuse": options.Reuse = true; break;
        default:
            Console.Error.WriteLine("usage: LeakExt.Bench [--runs N] [--scale S[,S…]] [--shapes] [--compare] [--reuse]");
            return 2;
    }
}

string root = Tools.RepositoryRoot();
string outDirectory = Path.Combine(root, "artifacts", "bench");
Directory.CreateDirectory(outDirectory);
var suites = new Suites(options, new Tools(root), new Heaps(root, outDirectory, options.Reuse));
BenchResults results = suites.RunAll();

string json = JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
File.WriteAllText(Path.Combine(outDirectory, "results.json"), json);
string table = Report.Markdown(results);
File.WriteAllText(Path.Combine(outDirectory, "results.md"), table);
Console.WriteLine();
Console.Write(table);
Console.WriteLine($"\nWrote {Path.Combine(outDirectory, "results.json")} and results.md");
return 0;

internal sealed class BenchOptions
{
    public double[] Scales { get; set; } = [1.0];
    public int Runs { get; set; } = 3;
    public bool Shapes { get; set; }
    /// <summary>Run dotnet-dump and the naive baseline even on heaps larger than scale 2 (minutes per run).</summary>
    public bool Compare { get; set; }
    public bool Reuse { get; set; }
}
