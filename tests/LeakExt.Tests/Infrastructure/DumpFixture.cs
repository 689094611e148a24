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
    private readonly Dictionary<string, IReadOnlyDictionary<string, long>> _facts = new();
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
            }.Run(reached =>
            {
                string path = Path.Combine(directory, $"checkpoint-{reached.Number}.dmp");
                DumpWriter.WriteHeapDump(reached.ProcessId, path);
                paths.Add(path);
                _facts[path] = reached.Facts;
            });
            _dumps[key] = paths;
            return paths;
        }
    }

    /// <summary>
    /// The dump the runtime itself writes when <paramref name="target"/> dies of an unhandled
    /// exception (DOTNET_DbgEnableMiniDump=1), of createdump's <paramref name="dumpType"/>
    /// (1 mini, 2 with heap, 4 full). Written once per run, like the checkpoint dumps.
    /// </summary>
    public string CrashDump(string target, int dumpType, params string[] arguments)
    {
        string key = $"{target}-crash-type{dumpType}-{string.Join("-", arguments)}".TrimEnd('-');
        lock (_gate)
        {
            if (_dumps.TryGetValue(key, out IReadOnlyList<string>? cached))
                return cached[0];
            string directory = Path.Combine(_runDirectory, key);
            Directory.CreateDirectory(directory);
            string path = Path.Combine(directory, "crash.dmp");
            var start = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            };
            start.ArgumentList.Add(Repository.TargetProgram(target));
            foreach (string argument in arguments)
                start.ArgumentList.Add(argument);
            start.Environment["DOTNET_gcServer"] = "0";
            start.Environment["DOTNET_GCgen0size"] = "0x4000000";
            start.Environment["DOTNET_DbgEnableMiniDump"] = "1";
            start.Environment["DOTNET_DbgMiniDumpType"] = dumpType.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["DOTNET_DbgMiniDumpName"] = path;
            using (var process = System.Diagnostics.Process.Start(start)!)
            {
                process.StandardInput.Close();
                Task<string> output = process.StandardOutput.ReadToEndAsync(), errors = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
                {
                    process.Kill(entireProcessTree: true);
                    throw new TimeoutException($"{target} did not crash within 3 minutes");
                }
                if (process.ExitCode == 0 || !File.Exists(path))
                    throw new InvalidOperationException($"{target} {string.Join(' ', arguments)} exited with {process.ExitCode} and wrote no dump: {output.Result}{errors.Result}");
            }
            _dumps[key] = [path];
            return path;
        }
    }

    /// <summary>What the target printed about itself at the checkpoint of this dump (see tests/TestTargets/Shared/Checkpoint.cs).</summary>
    public IReadOnlyDictionary<string, long> Facts(string dump)
    {
        lock (_gate)
            return _facts[dump];
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
