using System.Collections.Immutable;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// Finds the DAC of a Linux or macOS target on this machine: in the folder the target's runtime
/// was loaded from (a dump taken here, or a self-contained app's folder) and in every shared
/// framework of the local .NET installs. ClrMD 4.2 no longer downloads non-Windows DACs and
/// matches a local runtime only by PE properties, so without this an ELF dump of a runtime that is
/// installed here finds no DAC. A candidate counts only if its build id, or its folder's
/// libcoreclr's, is the one asked for: never a DAC of another build. Falls back to the locator
/// <paramref name="next"/> makes (symbol folders and servers), made only when first needed: a
/// symbol-server client costs tens of milliseconds to build, and a DAC or an assembly found here needs none.
/// </summary>
internal sealed class LocalRuntimeLocator(Func<IFileLocator?> next) : IFileLocator
{
    private readonly Lazy<IFileLocator?> _next = new(next);

    private static readonly string[] RuntimeFileNames = ["libcoreclr.so", "libcoreclr.dylib"];
    private readonly List<string> _folders = [.. InstalledFrameworkFolders()];
    private readonly Dictionary<string, byte[]?> _buildIds = new(StringComparer.Ordinal);

    /// <summary>Searches <paramref name="folder"/> first (the folder the target's runtime was loaded from).</summary>
    public void PreferFolder(string? folder)
    {
        if (!string.IsNullOrEmpty(folder) && Directory.Exists(folder) && !_folders.Contains(folder))
            _folders.Insert(0, folder);
    }

    /// <summary>
    /// A managed assembly whose pages the dump left out: the DAC asks for it by the path the target
    /// loaded it from. That file, when it is here with the same time stamp and image size (a dump
    /// taken on this machine), is the one; only otherwise is the next locator made and asked.
    /// </summary>
    public string? FindPEImage(string fileName, int buildTimeStamp, int imageSize, bool checkProperties) =>
        SameImageHere(fileName, buildTimeStamp, imageSize) ? fileName : _next.Value?.FindPEImage(fileName, buildTimeStamp, imageSize, checkProperties);

    private static bool SameImageHere(string path, int timeStamp, int imageSize)
    {
        if (!Path.IsPathFullyQualified(path) || !File.Exists(path))
            return false;
        try
        {
            using var reader = new PEReader(File.OpenRead(path));
            PEHeaders headers = reader.PEHeaders;
            return headers.CoffHeader.TimeDateStamp == timeStamp && headers.PEHeader?.SizeOfImage == imageSize;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BadImageFormatException)
        {
            return false;
        }
    }

    public string? FindPEImage(string fileName, SymbolProperties archivedUnder, ImmutableArray<byte> buildIdOrUUID, OSPlatform originalPlatform, bool checkProperties)
    {
        if (originalPlatform == OSPlatform.Linux && !buildIdOrUUID.IsDefaultOrEmpty && Path.GetFileName(fileName) == fileName)
        {
            foreach (string folder in _folders)
            {
                string candidate = Path.Combine(folder, fileName);
                if (!File.Exists(candidate))
                    continue;
                // ClrMD asks under the runtime's id or the DAC's own, labelled either way: accept both.
                if (Matches(candidate, buildIdOrUUID) || RuntimeFileNames.Any(runtime => Matches(Path.Combine(folder, runtime), buildIdOrUUID)))
                    return candidate;
            }
        }
        return _next.Value?.FindPEImage(fileName, archivedUnder, buildIdOrUUID, originalPlatform, checkProperties);
    }

    private bool Matches(string path, ImmutableArray<byte> buildId)
    {
        if (!_buildIds.TryGetValue(path, out byte[]? id))
            _buildIds[path] = id = File.Exists(path) ? ElfBuildId.Read(path) : null;
        return id is not null && buildId.AsSpan().SequenceEqual(id);
    }

    /// <summary>shared/Microsoft.NETCore.App/VERSION under the running runtime's install and the usual install roots.</summary>
    private static IEnumerable<string> InstalledFrameworkFolders()
    {
        var roots = new List<string>();
        // The running runtime's own folder is ROOT/shared/Microsoft.NETCore.App/VERSION (not so when compiled ahead of time).
        var running = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        if (running.Parent is { Name: "Microsoft.NETCore.App", Parent: { Name: "shared", Parent: { } runningRoot } })
            roots.Add(runningRoot.FullName);
        foreach (string variable in new[] { "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
                roots.Add(root);
        roots.AddRange(["/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet", "/opt/dotnet",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet")]);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string root in roots)
        {
            string frameworks = Path.Combine(root, "shared", "Microsoft.NETCore.App");
            if (!Directory.Exists(frameworks))
                continue;
            string[] versions;
            try
            {
                versions = Directory.GetDirectories(frameworks);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string version in versions)
                if (seen.Add(Path.GetFullPath(version)))
                    yield return version;
        }
    }
}
