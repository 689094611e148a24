using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.DotnetDump;

/// <summary>
/// The dump file a DebugServices host opened, which it does not tell extensions: found on the
/// host process's own command line (`dotnet-dump analyze DUMP`, `lldb -c DUMP`) and accepted only
/// if it is the same target: an ELF core that maps the host's runtime module at the same address
/// from the same file. With it a dump reads the same in every host: its memory regions, its
/// time, and its heap straight from the file.
/// </summary>
internal static class HostDumpFile
{
    public static (string Path, ElfCoreFile Core)? Find(ClrRuntime runtime)
    {
        ModuleInfo module = runtime.ClrInfo.ModuleInfo;
        foreach (string argument in HostArguments())
        {
            if (argument.Length == 0 || argument.StartsWith('-'))
                continue;
            string path;
            try
            {
                path = Path.GetFullPath(argument);
                if (!File.Exists(path) || new FileInfo(path).Length < 64)
                    continue;
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
            {
                continue;
            }
            ElfCoreFile core;
            try
            {
                core = ElfCoreFile.Read(path);
            }
            catch (Exception ex) when (ex is LeakExt.Core.LeakExtException or IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (core.MappedFiles.Any(file => file.Start == module.ImageBase && file.Path == module.FileName))
                return (path, core);
        }
        return null;
    }

    /// <summary>The host's command line: /proc/self/cmdline on Linux (a native host such as lldb has no managed Main), else the runtime's.</summary>
    private static IEnumerable<string> HostArguments()
    {
        if (OperatingSystem.IsLinux())
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText("/proc/self/cmdline");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return [];
            }
            return commandLine.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        return Environment.GetCommandLineArgs();
    }
}
