using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// Finds the runtime's DAC in the local folders of a symbol path: flat (FOLDER/file) or in
/// symbol-store layout (FOLDER/file/KEY/file), then asks the symbol servers, if any. ClrMD's
/// own locator takes only HTTP(S) servers, and fails on a folder.
/// </summary>
internal sealed class FolderFileLocator(IReadOnlyList<string> folders, IFileLocator? servers) : IFileLocator
{
    public string? FindPEImage(string fileName, int buildTimeStamp, int imageSize, bool checkProperties) =>
        Find(fileName, $"{buildTimeStamp:X8}{imageSize:x}")
        ?? servers?.FindPEImage(fileName, buildTimeStamp, imageSize, checkProperties);

    public string? FindPEImage(string fileName, SymbolProperties archivedUnder, ImmutableArray<byte> buildIdOrUUID, OSPlatform originalPlatform, bool checkProperties)
    {
        string id = Convert.ToHexString(buildIdOrUUID.AsSpan()).ToLowerInvariant();
        string prefix = originalPlatform == OSPlatform.OSX ? "mach-uuid-" : "elf-buildid-";
        string key = prefix + (archivedUnder == SymbolProperties.Coreclr ? "coreclr-" : "") + id;
        return Find(fileName, key)
            ?? servers?.FindPEImage(fileName, archivedUnder, buildIdOrUUID, originalPlatform, checkProperties);
    }

    private string? Find(string fileName, string storeKey)
    {
        foreach (string folder in folders)
        {
            foreach (string candidate in new[] { Path.Combine(folder, fileName), Path.Combine(folder, fileName, storeKey, fileName) })
                if (File.Exists(candidate))
                    return candidate;
        }
        return null;
    }
}
