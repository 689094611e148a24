using Microsoft.Diagnostics.NETCore.Client;

namespace LeakExt.Core.Capture;

/// <summary>Writes a dump of a running .NET process through its diagnostics port (the runtime's createdump does the work).</summary>
public static class DumpWriter
{
    /// <summary>Writes a heap dump (all GC heap memory, enough for every LeakExt command).</summary>
    public static void WriteHeapDump(int processId, string path)
    {
        string fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        if (File.Exists(fullPath))
            File.Delete(fullPath);
        try
        {
            new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, fullPath, logDumpGeneration: false);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or TimeoutException)
        {
            throw new LeakExtException($"could not write a dump of process {processId}: {ex.Message.ReplaceLineEndings(" ")} (is it a .NET process of the same user?).", ex);
        }
        if (!File.Exists(fullPath) || new FileInfo(fullPath).Length == 0)
            throw new LeakExtException($"the runtime reported success but wrote no dump at '{fullPath}'.");
    }
}
