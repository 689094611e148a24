using LeakExt.Core.Capture;

namespace LeakExt.Tests.Infrastructure;

/// <summary>
/// Runs test targets and writes a real heap dump at each of their checkpoints. Each
/// (target, arguments, GC mode) is dumped once per test run, under a lock, and shared by
/// every test of the "dumps" collection; the dumps are deleted when the run ends.
/// </summary>
public sealed class DumpFixture : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, IReadOnlyList<string>> _dumps = new();
    private readonly string _runDirectory = Path.Combine(Repository.Root, "artifacts", "test-dumps", $"run-{Environment.ProcessId}");

    public string RunDirectory => _runDirectory;

    /// <summary>The dumps of <paramref name="target"/>, one per checkpoint, in checkpoint order.</summary>
    public IReadOnlyList<string> Dumps(string target, bool serverGc = false, params string[] arguments)
    {
        string key = $"{target}-{(serverGc ? "server" : "workstation")}-{string.Join("-", arguments)}".TrimEnd('-');
        lock (_gate)
        {
            if (_dumps.TryGetValue(key, out IReadOnlyList<string>? cached))
                return cached;

            string directory = Path.Combine(_runDirectory, key);
            Directory.CreateDirectory(directory);
            // The gen0 budget follows the CPU's cache size unless set: pinned, the heap's layout (how many
            // GCs run during a phase, what they compact) is the same on every machine.
            var environment = new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x4000000" };
            if (serverGc)
            {
                environment["DOTNET_gcServer"] = "1";
                environment["DOTNET_GCHeapCount"] = "2";
            }
            else
            {
                environment["DOTNET_gcServer"] = "0";
            }

            var paths = new List<string>();
            new CheckpointRunner
            {
                FileName = "dotnet",
                Arguments = [Repository.TargetProgram(target), .. arguments],
                Environment = environment,
            }.Run((pid, number, _) =>
            {
                string path = Path.Combine(directory, $"checkpoint-{number}.dmp");
                DumpWriter.WriteHeapDump(pid, path);
                paths.Add(path);
            });
            _dumps[key] = paths;
            return paths;
        }
    }

    public string TempFile(string name)
    {
        Directory.CreateDirectory(_runDirectory);
        return Path.Combine(_runDirectory, name);
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_runDirectory))
                Directory.Delete(_runDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition("dumps")]
public sealed class DumpCollection : ICollectionFixture<DumpFixture>
{
}
