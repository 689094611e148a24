using System.Text.Json;

namespace LeakExt.Bench;

/// <summary>The programs the benchmark runs: leakext as built, the pinned dotnet-dump, and this benchmark's own in-process modes.</summary>
internal sealed class Tools(string root)
{
    public string Leakext { get; } = Path.Combine(root, "src", "LeakExt.Cli", "bin", "Release", "net10.0", "leakext.dll");

    public string Bench { get; } = typeof(Tools).Assembly.Location;

    /// <summary>The dotnet-dump.dll pinned in .config/dotnet-tools.json, where `dotnet tool restore` put it; null when it is not there.</summary>
    public string? DotnetDump { get; } = FindDotnetDump(root);

    public string? DotnetDumpVersion { get; } = PinnedVersion(root);

    public IEnumerable<string> LeakextArguments(string dump, string command) => [Leakext, "analyze", dump, "-c", command];

    public IEnumerable<string> DotnetDumpArguments(string dump, string command) => [DotnetDump!, "analyze", dump, "-c", command];

    public IEnumerable<string> BenchArguments(string mode, string dump, params string[] more) => [Bench, "measure", mode, dump, .. more];

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
