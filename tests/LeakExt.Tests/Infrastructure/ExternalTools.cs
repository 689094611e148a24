using System.Text.Json;

namespace LeakExt.Tests.Infrastructure;

/// <summary>
/// Programs the tests use beside LeakExt: the released dotnet-dump pinned in
/// .config/dotnet-tools.json (the yardstick, and a host), and executables found on PATH.
/// </summary>
internal static class ExternalTools
{
    public const string DotnetDumpVariable = "LEAKEXT_DOTNET_DUMP";

    /// <summary>The dotnet-dump version the tool manifest pins.</summary>
    public static string PinnedDotnetDumpVersion { get; } = ReadPinnedVersion("dotnet-dump");

    /// <summary>
    /// The folder of the pinned dotnet-dump.dll, where `dotnet tool restore` (run by build.sh) put
    /// it: the NuGet package folder (NUGET_PACKAGES, else ~/.nuget/packages; a tool restored once
    /// stays where it went). It also holds DebugServices, ClrMD and SOS.
    /// </summary>
    public static string DotnetDumpFolder
    {
        get
        {
            string[] packageFolders = [Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? "",
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")];
            string[] candidates = packageFolders.Where(f => f.Length > 0)
                .Select(f => Path.Combine(f, "dotnet-dump", PinnedDotnetDumpVersion, "tools", "net8.0", "any")).ToArray();
            return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "dotnet-dump.dll"))) ?? candidates[0];
        }
    }

    /// <summary>dotnet-dump's entry point: <see cref="DotnetDumpVariable"/> if set (a .dll to run with dotnet, or an executable), else the pinned tool.</summary>
    public static string DotnetDump =>
        Environment.GetEnvironmentVariable(DotnetDumpVariable) is { Length: > 0 } given ? given : Path.Combine(DotnetDumpFolder, "dotnet-dump.dll");

    /// <summary>Why dotnet-dump cannot run here, in one line, or null.</summary>
    public static string? DotnetDumpMissing =>
        File.Exists(DotnetDump) ? null
        : Environment.GetEnvironmentVariable(DotnetDumpVariable) is { Length: > 0 } given ? $"{DotnetDumpVariable}={given} does not exist"
        : $"the pinned dotnet-dump {PinnedDotnetDumpVersion} is not restored ('dotnet tool restore' could not reach the NuGet registry?)";

    private static string ReadPinnedVersion(string tool)
    {
        string manifest = Path.Combine(Repository.Root, ".config", "dotnet-tools.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(manifest));
        return document.RootElement.GetProperty("tools").GetProperty(tool).GetProperty("version").GetString()!;
    }

    /// <summary>The full path of <paramref name="name"/> in a PATH folder, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    /// <summary>Whether ahead-of-time compilation can link here (it calls clang, or gcc).</summary>
    public static bool HasNativeLinker => FindOnPath("clang") is not null || FindOnPath("gcc") is not null;
}
