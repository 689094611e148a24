using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// One target plus what has been computed about it. The marked heap is cached for as long as
/// the target stays still: a dump forever, a live process until it resumes (<see cref="Invalidate"/>).
/// </summary>
public sealed class TargetSession : IDisposable
{
    private LiveHeap? _liveHeap;
    private RetentionAnalysis? _analysis;

    public TargetSession(LeakTarget target) => Target = target;

    public LeakTarget Target { get; }

    /// <summary>Drops every cache; call when a live target has run.</summary>
    public void Invalidate()
    {
        _liveHeap?.Memory?.Dispose();
        _liveHeap = null;
        _analysis = null;
    }

    private HeapReaderKind DefaultReader => Target.DataTarget.DataReader.PointerSize == 8 ? HeapReaderKind.Fast : HeapReaderKind.ClrMd;

    /// <summary>The marked heap, with its reference graph built when a query first needs it (16 B per object + 8 B per reference).</summary>
    internal RetentionAnalysis GetAnalysis(IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        if (_analysis is not null)
            return _analysis;
        LiveHeap heap = GetLiveHeap(_liveHeap?.Reader ?? DefaultReader, progress, cancellationToken);
        return _analysis = new RetentionAnalysis { Heap = heap, BuildGraph = (graphProgress, token) => BuildGraph(heap, graphProgress, token) };
    }

    private HeapGraph BuildGraph(LiveHeap heap, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        if (heap.Reader != HeapReaderKind.Fast)
            return HeapGraph.Build(heap.Index, new ClrMdReferenceReader(Target.Runtime.Heap, heap.Index.Types), heap.Roots.Hidden, progress, cancellationToken);
        // The snapshot's mapping when it kept one (its pages are mapped already), else a new one for this pass.
        SegmentMemory memory = heap.Memory ?? SegmentMemory.Create(Target, heap.Index.Segments);
        try
        {
            return HeapGraph.Build(heap.Index, new FastReferenceReader(heap.Index, memory), heap.Roots.Hidden, progress, cancellationToken,
                () => new FastReferenceReader(heap.Index, memory));
        }
        finally
        {
            if (memory != heap.Memory)
                memory.Dispose();
        }
    }

    private RetentionQueries Queries(IProgress<WalkProgress>? progress, CancellationToken cancellationToken) =>
        new(GetAnalysis(progress, cancellationToken), Target.Runtime.Heap, progress);

    /// <summary>Shortest path(s) from the roots to the object at <paramref name="address"/>.</summary>
    public RootPathsResult RootPaths(ulong address, int count, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        RetentionQueries queries = Queries(progress, cancellationToken);
        return queries.RootPaths(queries.Resolve("rootpath", address), count, cancellationToken);
    }

    /// <summary>The referrers of an object, or of a representative instance of a type (the one whose holder has the most instances).</summary>
    public BackrefGraph Backrefs(ulong? address, string? typePattern, int depth, int maxNodes, bool weak, bool raw,
        IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        RetentionQueries queries = Queries(progress, cancellationToken);
        RetentionAnalysis analysis = GetAnalysis(progress, cancellationToken);
        if (address is { } at)
            return queries.Backrefs(queries.Resolve("backrefs", at), depth, maxNodes, weak, raw, cancellationToken);

        // Prefer live instances; a type with none (garbage, or only weakly held) still shows its dead ones.
        List<int> instances;
        TypeSelection selection;
        try
        {
            (instances, selection) = queries.InstancesOf("backrefs", typePattern!, liveOnly: true, cancellationToken);
        }
        catch (LeakExtException)
        {
            (instances, selection) = queries.InstancesOf("backrefs", typePattern!, liveOnly: false, cancellationToken);
        }
        var byHolder = instances.GroupBy(i => analysis.Retention.Holder(i) < 0 ? -1 : analysis.Retention.Rules.Table.State(analysis.Retention.Holder(i)).Text)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Min()).First();
        int representative = byHolder.Min();
        BackrefGraph graph = queries.Backrefs(representative, depth, maxNodes, weak, raw, cancellationToken);
        return graph with { InstancesOfType = instances.Count, InstancesSharingHolder = byHolder.Count(), Selection = selection };
    }

    /// <summary>What freeing an object (or every live instance of a type) would give back.</summary>
    public RetainedResult Retained(ulong? address, string? typePattern, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        RetentionQueries queries = Queries(progress, cancellationToken);
        if (address is { } at)
        {
            int node = queries.Resolve("retained", at);
            return queries.Retained(queries.Describe(node), null, [node], cancellationToken);
        }
        (List<int> instances, TypeSelection selection) = queries.InstancesOf("retained", typePattern!, liveOnly: true, cancellationToken);
        return queries.Retained(null, selection, instances, cancellationToken);
    }

    /// <summary>Free space in the GC heap by generation and segment, and the pinned objects next to it.</summary>
    public Growth.FragmentationReport Fragmentation(int top, IProgress<WalkProgress>? progress, CancellationToken cancellationToken) =>
        Growth.FragmentationAnalyzer.Analyze(GetLiveHeap(_liveHeap?.Reader ?? DefaultReader, progress, cancellationToken), top, cancellationToken);

    /// <summary>The objects that retain the most memory, by the dominator tree.</summary>
    public DominatorsResult Dominators(int top, IProgress<WalkProgress>? progress, CancellationToken cancellationToken) =>
        Queries(progress, cancellationToken).TopDominators(top, cancellationToken, progress);

    internal LiveHeap GetLiveHeap(HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        if (_liveHeap is null || _liveHeap.Reader != reader)
        {
            LiveHeap built = LiveHeap.Build(Target, reader, progress, cancellationToken);
            // What was computed over the heap it replaces goes with it (and its mapping is released).
            _liveHeap?.Memory?.Dispose();
            _analysis = null;
            _liveHeap = built;
        }
        return _liveHeap;
    }

    /// <summary>The phases of the last snapshot taken (the marked heap's, then the histogram's and the memory map's), for the benchmark.</summary>
    internal PhaseTimes? LastSnapshotPhases { get; private set; }

    public Snapshot TakeSnapshot(string? name, HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        LiveHeap heap = GetLiveHeap(reader, progress, cancellationToken);
        var phases = new PhaseTimes();
        ClrRuntime runtime = Target.Runtime;
        var info = new SnapshotInfo(
            name,
            Target.Moment,
            Target.Description,
            Target.ProcessId ?? (Target.DataTarget.DataReader.ProcessId is int pid && pid > 0 ? pid : null),
            RuntimeVersion(runtime.ClrInfo),
            Target.DataTarget.DataReader.PointerSize,
            runtime.Heap.IsServer,
            runtime.Heap.SubHeaps.Length,
            heap.Reader == HeapReaderKind.Fast ? "fast" : "clrmd",
            Math.Round(clock.Elapsed.TotalSeconds, 3));
        progress?.Report(new WalkProgress("reading the memory map", 0, 0));
        var map = Growth.RuntimeMemoryMap.Read(runtime);
        Growth.ProcessMemory? memory = ReadProcessMemory(map);
        phases.Lap("memory map");
        progress?.Report(new WalkProgress("counting types and holders", 0, 0));
        Snapshot snapshot = SnapshotBuilder.Build(heap, info, map.Gc, cancellationToken);
        phases.Lap("histogram");
        progress?.Report(new WalkProgress("finding pinned objects", 0, 0));
        snapshot = snapshot with { Memory = memory, Pinning = Growth.FragmentationAnalyzer.Summarize(heap, cancellationToken) };
        phases.Lap("pinning");
        var all = new PhaseTimes();
        all.AddAll(heap.Phases);
        all.AddAll(phases);
        LastSnapshotPhases = all;
        return snapshot;
    }

    private Growth.ProcessMemory? ReadProcessMemory(Growth.RuntimeMemoryMap map)
    {
        try
        {
            return Growth.ProcessMemoryReader.Read(Target, map);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or FormatException)
        {
            // Memory by region kind is extra information: a target that cannot tell still gets a snapshot.
            return null;
        }
    }

    /// <summary>
    /// The runtime's product version: the shared-framework folder it was loaded from names it
    /// (…/Microsoft.NETCore.App/10.0.12/), in every host. Elsewhere (an app-local runtime) the
    /// module's version as the host read it: a file version (10.0.1226.42308), or none for ELF.
    /// </summary>
    internal static string RuntimeVersion(ClrInfo info)
    {
        string? folder = Path.GetFileName(Path.GetDirectoryName(info.ModuleInfo.FileName?.Replace('\\', '/')) ?? "");
        if (!string.IsNullOrEmpty(folder) && Version.TryParse(folder.Split('-')[0], out _))
            return folder;
        return info.Version.Major > 0 ? info.Version.ToString() : "unknown";
    }

    /// <summary>
    /// Type names for completion: every type of the walked heap once a command has walked it (generic
    /// instantiations and arrays included); before that, the types the modules have loaded (their
    /// typedefs: no walk, so a Tab stays instant on a big heap).
    /// </summary>
    public IReadOnlyList<string> TypeNames()
    {
        if (_liveHeap is { } heap)
        {
            var names = new List<string>(heap.Index.Types.Count);
            for (int id = 0; id < heap.Index.Types.Count; id++)
                if (heap.Index.Types.TryNameOf(id) is { } name)
                    names.Add(name);
            return names;
        }
        var loaded = new List<string>();
        foreach (ClrModule module in Target.Runtime.EnumerateModules())
            foreach ((ulong methodTable, _) in module.EnumerateTypeDefToMethodTableMap())
                if (Target.Runtime.Heap.GetTypeByMethodTable(methodTable)?.Name is { } name)
                    loaded.Add(name);
        return loaded;
    }

    public void Dispose()
    {
        Invalidate();
        Target.Dispose();
    }
}
