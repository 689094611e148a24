using LeakExt.Core.Heap;
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

    /// <summary>The memory regions a debugger host reports (it has no core file or /proc for us to read), or null.</summary>
    public IReadOnlyList<MemoryRegion>? HostRegions { get; private init; }

    private DateTimeOffset? _hostMoment;

    /// <summary>True when we attached with ptrace ourselves (not when a debugger host owns the process).</summary>
    private bool _ptraceAttached;

    /// <summary>The process was stopped (state T) before we attached: it stays stopped after the detach.</summary>
    private bool _stoppedBeforeAttach;

    /// <summary>False when the runtime and data target belong to a debugger host, which disposes them.</summary>
    private bool _ownsRuntime = true;

    /// <summary>
    /// The moment the target shows: now for a live process, when the dump was written for a dump — to
    /// the second, as a debugger reads a dump's time, so that every host places it alike.
    /// </summary>
    public DateTimeOffset Moment => _hostMoment
        ?? (DumpPath is null ? DateTimeOffset.UtcNow
            : DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(File.GetLastWriteTimeUtc(DumpPath), TimeSpan.Zero).ToUnixTimeSeconds()));

    private LeakTarget(DataTarget dataTarget, ClrRuntime runtime, string description, int? processId, bool isLive, ElfCoreFile? coreFile)
    {
        DataTarget = dataTarget;
        Runtime = runtime;
        Description = description;
        ProcessId = processId;
        IsLive = isLive;
        CoreFile = coreFile;
    }

    /// <summary>
    /// ClrMD options for a symbol path: the local .NET installs first (a Linux or macOS DAC is found
    /// only there, see <see cref="LocalRuntimeLocator"/>), then the path's local folders (a locator of
    /// ours), then its HTTP(S) servers (ClrMD's own downloader, with the cache).
    /// </summary>
    public static DataTargetOptions CreateOptions(SymbolPath? symbolPath)
    {
        // The symbol folders and servers, behind the local runtime search; ClrMD builds its
        // symbol-server locator when the property is first read, so only a miss here pays for it.
        var symbols = new DataTargetOptions();
        string[] servers = symbolPath?.Servers.ToArray() ?? [], folders = symbolPath?.Folders.ToArray() ?? [];
        if (servers.Length > 0)
            symbols.SymbolPaths = servers;
        if (symbolPath?.CachePath is not null)
            symbols.SymbolCachePath = symbolPath.CachePath;
        var options = new DataTargetOptions
        {
            FileLocator = new LocalRuntimeLocator(() =>
                folders.Length > 0 ? new FolderFileLocator(folders, servers.Length > 0 ? symbols.FileLocator : null) : symbols.FileLocator),
        };
        if (servers.Length > 0)
            options.SymbolPaths = servers;
        if (symbolPath?.CachePath is not null)
            options.SymbolCachePath = symbolPath.CachePath;
        return options;
    }

    public static LeakTarget OpenDump(string path, SymbolPath? symbolPath = null)
    {
        HotLoops.CompileAhead();
        DumpFileValidator.Validate(path, out ElfCoreFile? core);

        DataTarget dataTarget;
        try
        {
            dataTarget = DataTarget.LoadDump(path, CreateOptions(symbolPath));
            // An ELF core's memory is read from the mapped file rather than a system call per read.
            if (core is not null && core.FileLength > 0)
                dataTarget = new DataTarget(new MappedCoreReader(dataTarget.DataReader, new CoreFileMapping(core)), CreateOptions(symbolPath));
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
        HotLoops.CompileAhead();
        bool stopped = ProcessStatus.IsStopped(processId);
        DataTarget dataTarget;
        try
        {
            DataTarget attached = DataTarget.AttachToProcess(processId, suspend: true, CreateOptions(symbolPath));
            // ClrMD can miss a thread that races with its attach; that thread's registers, and so its
            // stack roots, would be missing. Attach again (a few times) until every thread is stopped.
            for (int attempt = 1; attempt < 4 && PtraceGuard.ThreadsNotStoppedByUs(processId) > 0; attempt++)
            {
                attached.Dispose();
                PtraceGuard.DetachLeftovers(processId, stopped);
                attached = DataTarget.AttachToProcess(processId, suspend: true, CreateOptions(symbolPath));
            }
            // ClrMD attached (and detaches on dispose); we read through a reader that cannot throw into the DAC.
            dataTarget = new DataTarget(new LiveProcessReader(attached.DataReader), CreateOptions(symbolPath));
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            throw new LeakExtException($"no process with id {processId}; check the PID.", ex);
        }
        catch (Exception ex) when (ex is not LeakExtException)
        {
            throw new LeakExtException($"could not attach to process {processId}: {OneLine(ex.Message)} (attaching needs ptrace rights: run as the same user or root).", ex);
        }

        LeakTarget target = FromDataTarget(dataTarget, $"process {processId}", processId, isLive: true, coreFile: null,
            noRuntime: $"process {processId} has no .NET runtime loaded; is it a .NET process?", ptraceAttached: true, stoppedBeforeAttach: stopped);
        target._ptraceAttached = true;
        target._stoppedBeforeAttach = stopped;
        return target;
    }

    /// <summary>Wraps a DataTarget that a debugger host made around its own memory reader.</summary>
    public static LeakTarget FromHost(DataTarget dataTarget, HostTargetInfo info)
    {
        HotLoops.CompileAhead();
        return Hosted(FromDataTarget(dataTarget, info.Description, info.ProcessId, info.IsLive, coreFile: null).Runtime, info, ownsRuntime: true);
    }

    /// <summary>
    /// Wraps a runtime a debugger host already opened (its DAC, found through its symbol path).
    /// The host keeps ownership: disposing this target leaves the runtime open.
    /// </summary>
    public static LeakTarget FromHostRuntime(ClrRuntime runtime, HostTargetInfo info)
    {
        HotLoops.CompileAhead();
        RequireWalkableHeap(runtime, info.Description, info.IsLive);
        return Hosted(runtime, info, ownsRuntime: false);
    }

    private static LeakTarget Hosted(ClrRuntime runtime, HostTargetInfo info, bool ownsRuntime) =>
        new(runtime.DataTarget, runtime, info.Description, info.ProcessId, info.IsLive, info.DumpFile)
        {
            HostRegions = info.Regions,
            DumpPath = info.DumpFile?.Path,
            _hostMoment = info.Moment,
            _ownsRuntime = ownsRuntime,
        };

    private static void RequireWalkableHeap(ClrRuntime runtime, string description, bool isLive)
    {
        if (!runtime.Heap.CanWalkHeap)
            throw new GcInProgressException($"the GC heap of {description} cannot be walked now (a GC was in progress); take the dump or snapshot again.");
        if (!isLive && !HoldsHeapMemory(runtime))
            throw new LeakExtException($"{description} holds no GC heap memory (a mini dump); take a dump with the heap: " +
                "'leakext dump PID FILE', 'dotnet-dump collect --type Heap', or DOTNET_DbgMiniDumpType=2 for the dumps the runtime writes at a crash.");
    }

    /// <summary>
    /// Whether the dump stores the GC heap: a mini dump lists every segment but holds almost none of
    /// their memory (the page of the exception being thrown, perhaps). Probes up to 1,024 pages
    /// spread over the segments' objects; a heap dump has them all, a mini dump a few percent.
    /// </summary>
    private static bool HoldsHeapMemory(ClrRuntime runtime)
    {
        const int MaxProbes = 1024;
        MemoryRange[] ranges = runtime.Heap.Segments.Where(s => s.Kind != GCSegmentKind.Frozen && s.ObjectRange.Length > 0)
            .Select(s => s.ObjectRange).ToArray();
        ulong pages = 0;
        foreach (MemoryRange range in ranges)
            pages += (range.Length + 4095) / 4096;
        if (pages == 0)
            return true;
        ulong stride = Math.Max(1, pages / MaxProbes);
        // A mapped core answers from its headers: probing by reads would fault in a page per probe (20 ms here).
        CoreFileMapping? mapping = (runtime.DataTarget.DataReader as MappedCoreReader)?.Mapping;
        Span<byte> word = stackalloc byte[8];
        long probes = 0, readable = 0;
        foreach (MemoryRange range in ranges)
        {
            for (ulong at = range.Start; at < range.End; at += stride * 4096)
            {
                probes++;
                if (mapping?.StoresWord(at) ?? runtime.DataTarget.DataReader.Read(at, word) == word.Length)
                    readable++;
            }
        }
        return readable * 4 >= probes;
    }

    private static LeakTarget FromDataTarget(DataTarget dataTarget, string description, int? processId, bool isLive, ElfCoreFile? coreFile,
        string? noRuntime = null, bool ptraceAttached = false, bool stoppedBeforeAttach = false)
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
                (dataTarget.FileLocator as LocalRuntimeLocator)?.PreferFolder(Path.GetDirectoryName(runtimes[0].ModuleInfo.FileName));
                runtime = runtimes[0].CreateRuntime();
            }
            catch (Exception ex) when (ex is not LeakExtException)
            {
                throw new DacLoadException($"could not load the .NET runtime's data access library (DAC) for {description}: {OneLine(ex.Message)}", ex);
            }

            RequireWalkableHeap(runtime, description, isLive);

            return new LeakTarget(dataTarget, runtime, description, processId, isLive, coreFile);
        }
        catch
        {
            dataTarget.Dispose();
            if (ptraceAttached && processId is int pid)
                PtraceGuard.DetachLeftovers(pid, stoppedBeforeAttach);
            throw;
        }
    }

    public void Dispose()
    {
        if (!_ownsRuntime)
            return;
        Runtime.Dispose();
        DataTarget.Dispose();
        if (_ptraceAttached && ProcessId is int pid)
            PtraceGuard.DetachLeftovers(pid, _stoppedBeforeAttach);
    }

    internal static string OneLine(string message)
    {
        string line = message.ReplaceLineEndings(" ").Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
