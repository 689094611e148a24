using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// One opened target: a dump or a live process, with its .NET runtime. Owns the ClrMD
/// <see cref="DataTarget"/>; disposing it detaches from a live process (which resumes it).
/// </summary>
public sealed class LeakTarget : IDisposable
{
    public DataTarget DataTarget { get; }
    public ClrRuntime Runtime { get; }
    public string Description { get; }
    public int? ProcessId { get; }
    public bool IsLive { get; }

    /// <summary>The ELF core behind this target, when it is one: its memory can be mapped directly.</summary>
    public ElfCoreFile? CoreFile { get; }

    /// <summary>The dump file, for a dump target.</summary>
    public string? DumpPath { get; private init; }

    /// <summary>The moment the target shows: now for a live process, when the dump was written for a dump.</summary>
    public DateTimeOffset Moment => DumpPath is null ? DateTimeOffset.UtcNow : new DateTimeOffset(File.GetLastWriteTimeUtc(DumpPath), TimeSpan.Zero);

    private LeakTarget(DataTarget dataTarget, ClrRuntime runtime, string description, int? processId, bool isLive, ElfCoreFile? coreFile)
    {
        DataTarget = dataTarget;
        Runtime = runtime;
        Description = description;
        ProcessId = processId;
        IsLive = isLive;
        CoreFile = coreFile;
    }

    public static DataTargetOptions CreateOptions(SymbolPath? symbolPath)
    {
        var options = new DataTargetOptions();
        if (symbolPath is not null)
        {
            if (symbolPath.Locations.Count > 0)
                options.SymbolPaths = symbolPath.Locations.ToArray();
            if (symbolPath.CachePath is not null)
                options.SymbolCachePath = symbolPath.CachePath;
        }
        return options;
    }

    public static LeakTarget OpenDump(string path, SymbolPath? symbolPath = null)
    {
        DumpFileValidator.DumpFormat format = DumpFileValidator.Validate(path);
        ElfCoreFile? core = format == DumpFileValidator.DumpFormat.ElfCore ? ElfCoreFile.Read(path) : null;

        DataTarget dataTarget;
        try
        {
            dataTarget = DataTarget.LoadDump(path, CreateOptions(symbolPath));
        }
        catch (Exception ex) when (ex is not LeakExtException)
        {
            throw new LeakExtException($"could not read dump '{path}': {OneLine(ex.Message)}", ex);
        }

        LeakTarget target = FromDataTarget(dataTarget, $"dump {Path.GetFileName(path)}", processId: null, isLive: false, core,
            noRuntime: $"no .NET runtime found in '{path}'; is it a dump of a .NET process?");
        return new LeakTarget(target.DataTarget, target.Runtime, target.Description, null, false, core) { DumpPath = Path.GetFullPath(path) };
    }

    public static LeakTarget Attach(int processId, SymbolPath? symbolPath = null)
    {
        DataTarget dataTarget;
        try
        {
            dataTarget = DataTarget.AttachToProcess(processId, suspend: true, CreateOptions(symbolPath));
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            throw new LeakExtException($"no process with id {processId}; check the PID.", ex);
        }
        catch (Exception ex) when (ex is not LeakExtException)
        {
            throw new LeakExtException($"could not attach to process {processId}: {OneLine(ex.Message)} (attaching needs ptrace rights: run as the same user or root).", ex);
        }

        return FromDataTarget(dataTarget, $"process {processId}", processId, isLive: true, coreFile: null,
            noRuntime: $"process {processId} has no .NET runtime loaded; is it a .NET process?");
    }

    /// <summary>Wraps a DataTarget made by a host (a debugger) around its own reader.</summary>
    public static LeakTarget FromDataTarget(DataTarget dataTarget, string description, int? processId, bool isLive, ElfCoreFile? coreFile, string? noRuntime = null)
    {
        try
        {
            string missing = noRuntime ?? $"no .NET runtime found in {description}.";
            ClrInfo[] runtimes;
            try
            {
                runtimes = dataTarget.ClrVersions.ToArray();
            }
            catch (Exception ex) when (ex is not LeakExtException)
            {
                // ClrMD reads the module list lazily; a dump without one fails here.
                throw new LeakExtException($"{missing.TrimEnd('.', '?')}? (the module list could not be read: {OneLine(ex.Message)})", ex);
            }
            if (runtimes.Length == 0)
                throw new LeakExtException(missing);

            ClrRuntime runtime;
            try
            {
                runtime = runtimes[0].CreateRuntime();
            }
            catch (Exception ex) when (ex is not LeakExtException)
            {
                throw new LeakExtException($"could not load the .NET runtime's data access library (DAC) for {description}: {OneLine(ex.Message)}; pass --symbol-path or set _NT_SYMBOL_PATH.", ex);
            }

            if (!runtime.Heap.CanWalkHeap)
                throw new LeakExtException($"the GC heap of {description} cannot be walked now (a GC was in progress); take the dump or snapshot again.");

            return new LeakTarget(dataTarget, runtime, description, processId, isLive, coreFile);
        }
        catch
        {
            dataTarget.Dispose();
            if (isLive && processId is int pid)
                PtraceGuard.DetachLeftovers(pid);
            throw;
        }
    }

    public void Dispose()
    {
        Runtime.Dispose();
        DataTarget.Dispose();
        if (IsLive && ProcessId is int pid)
            PtraceGuard.DetachLeftovers(pid);
    }

    internal static string OneLine(string message)
    {
        string line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
