using System.Text.Json;

namespace LeakExt.Bench;

/// <summary>
/// The programs the benchmark runs: leakext as its tool package holds it and as the standalone native
/// binary, the pinned dotnet-dump, and this benchmark's own in-process modes.
/// </summary>
internal sealed class Tools(string root)
{
    /// <summary>
    /// leakext precompiled for this machine (what `dotnet tool install` puts there: build.sh bench
    /// publishes it to artifacts/bench/leakext), else the build's JIT-compiled leakext.dll.
    /// </summary>
    public string ToolPackageLeakext => _publishedLeakext ?? Path.Combine(root, "src", "LeakExt.Cli", "bin", "Release", "net10.0", "leakext.dll");

    /// <summary>The standalone leakext compiled ahead of time (build.sh bench publishes it where clang or gcc can link it), or null.</summary>
    public string? NativeLeakext { get; } = File.Exists(Path.Combine(root, "artifacts", "bench", "leakext-native", "leakext"))
        ? Path.Combine(root, "artifacts", "bench", "leakext-native", "leakext") : null;

    /// <summary>How the leakext rows' program is compiled, for the results.</summary>
    public string LeakextBuild => NativeLeakext is null ? ToolPackageBuild
        : $"NativeAOT (the standalone binary of build.sh native); the tool package's rows: {ToolPackageBuild}";

    private string ToolPackageBuild => _publishedLeakext is null ? "JIT (bin/Release; build.sh bench publishes the ReadyToRun one)" : "ReadyToRun (as its tool package)";

    private readonly string? _publishedLeakext = PublishedLeakext(root);

    public string Bench { get; } = typeof(Tools).Assembly.Location;

    /// <summary>The dotnet-dump.dll pinned in .config/dotnet-tools.json, where `dotnet tool restore` put it; null when it is not there.</summary>
    public string? DotnetDump { get; } = FindDotnetDump(root);

    public string? DotnetDumpVersion { get; } = PinnedVersion(root);

    /// <summary>The program and arguments of `leakext analyze DUMP -c COMMAND`: the native binary where there is one, else the tool package's.</summary>
    public (string File, IEnumerable<string> Arguments) Leakext(string dump, string command) =>
        NativeLeakext is not null ? (NativeLeakext, ["analyze", dump, "-c", command]) : ToolPackage(dump, command);

    /// <summary>The same command run by the tool package's leakext (through dotnet).</summary>
    public (string File, IEnumerable<string> Arguments) ToolPackage(string dump, string command) =>
        ("dotnet", [ToolPackageLeakext, "analyze", dump, "-c", command]);

    public IEnumerable<string> DotnetDumpArguments(string dump, string command) => [DotnetDump!, "analyze", dump, "-c", command];

    public IEnumerable<string> BenchArguments(string mode, string dump, params string[] more) => [Bench, "measure", mode, dump, .. more];

    private static string? PublishedLeakext(string root)
    {
        string published = Path.Combine(root, "artifacts", "bench", "leakext", "leakext.dll");
        return File.Exists(published) ? published : null;
    }

    private static string? PinnedVersion(string root)
    {
        string manifest = Path.Combine(root, ".config", "dotnet-tools.json");
        if (!File.Exists(manifest))
            return null;
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(manifest));
        return document.RootElement.GetProperty("tools").GetProperty("dotnet-dump").GetProperty("version").GetString();
    }

    private static string? FindDotnetDump(string root)
    {
        string? version = PinnedVersion(root);
        if (version is null)
            return null;
        string[] folders = [Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? "",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")];
        return folders.Where(f => f.Length > 0)
            .Select(f => Path.Combine(f, "dotnet-dump", version, "tools", "net8.0", "any", "dotnet-dump.dll"))
            .FirstOrDefault(File.Exists);
    }

    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DbgLeakExt.sln")))
                return dir.FullName;
        throw new InvalidOperationException("run from inside the repository");
    }
}
