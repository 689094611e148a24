using System.Diagnostics;
using System.Globalization;
using LeakExt.Core.Capture;
using LeakExt.Core.Files;

namespace LeakExt.Bench;

/// <summary>Dumps of the BigHeap target, by scale and shape (see tests/TestTargets/BigHeap), made once and deleted when asked.</summary>
internal sealed class Heaps(string root, string outDirectory, bool reuse)
{
    public string DumpPath(double scale, string shape) =>
        Path.Combine(outDirectory, $"bigheap-{shape}-{scale.ToString(CultureInfo.InvariantCulture)}.dmp");

    public string Build(double scale, string shape)
    {
        string dump = DumpPath(scale, shape);
        if (reuse && File.Exists(dump))
            return dump;
        Console.WriteLine($"Building the {shape} heap (scale {scale.ToString(CultureInfo.InvariantCulture)}) and dumping it…");
        var clock = Stopwatch.StartNew();
        new CheckpointRunner
        {
            FileName = "dotnet",
            Arguments = [Path.Combine(root, "artifacts", "targets", "BigHeap", "BigHeap.dll"), scale.ToString(CultureInfo.InvariantCulture), shape],
            Environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
            CheckpointTimeout = TimeSpan.FromMinutes(30),
        }.Run((pid, _, _) => DumpWriter.WriteHeapDump(pid, dump, new OutputOptions(Force: true)));
        // On disk before anything is timed: the kernel writing back gigabytes of a fresh dump during a
        // measured run once made a 100 M-object snapshot take 28 s instead of 13 s.
        using (var written = new FileStream(dump, FileMode.Open, FileAccess.ReadWrite))
            written.Flush(flushToDisk: true);
        Console.WriteLine($"  {new FileInfo(dump).Length / (1 << 20):N0} MiB dump in {clock.Elapsed.TotalSeconds:0.0} s: {dump}");
        return dump;
    }

    /// <summary>Deletes a dump unless dumps are kept for the next run (--reuse).</summary>
    public void Drop(string dump)
    {
        if (!reuse)
            File.Delete(dump);
    }
}
