using System.Runtime.InteropServices;
using LeakExt.Core.Files;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.NETCore.Client;

namespace LeakExt.Core.Capture;

/// <summary>Writes a dump of a running .NET process through its diagnostics port (the runtime's createdump does the work).</summary>
public static partial class DumpWriter
{
    /// <summary>
    /// Writes a heap dump (all GC heap memory, enough for every LeakExt command). The runtime writes
    /// into an exclusive temporary file of ours (owner-only: a dump holds the process's memory), which
    /// then replaces <paramref name="path"/> by the rules of <see cref="OutputFile"/>.
    /// </summary>
    public static string WriteHeapDump(int processId, string path, OutputOptions? options = null)
    {
        OutputOptions rules = (options ?? new OutputOptions()) with { Private = true };
        return OutputFile.WriteThrough(path, rules, temporary =>
        {
            GiveToTargetUser(processId, temporary);
            try
            {
                new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, temporary, logDumpGeneration: false);
            }
            catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or TimeoutException)
            {
                // Gone, or never a .NET process: say which in one line.
                if (ex is ServerNotAvailableException)
                    DotnetProcesses.RequireDotnet(processId);
                throw new LeakExtException($"could not write a dump of process {processId}: {ex.Message.ReplaceLineEndings(" ")} (is it a .NET process of the same user?).", ex);
            }
        });
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChangeOwner(string path, uint user, uint group);

    /// <summary>
    /// createdump runs as the target's user and opens the file we reserved: when we are root and the
    /// target is not, that user must own it (still owner-only), or it could not write the dump.
    /// </summary>
    private static void GiveToTargetUser(int processId, string temporary)
    {
        if (!OperatingSystem.IsLinux() || GetEffectiveUserId() != 0)
            return;
        uint? user = null, group = null;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{processId}/status"))
            {
                // "Uid:  real  effective  saved  filesystem": createdump runs with the effective ids.
                string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 3 && fields[0] == "Uid:")
                    user = uint.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
                else if (fields.Length >= 3 && fields[0] == "Gid:")
                    group = uint.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            return;  // no such process: the diagnostics client reports it
        }
        if (user is { } uid && group is { } gid && uid != 0)
            ChangeOwner(temporary, uid, gid);
    }
}
