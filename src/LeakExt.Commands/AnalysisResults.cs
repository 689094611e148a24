using LeakExt.Core;
using LeakExt.Core.Growth;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands;

// Result records of the retention, growth and fragmentation commands: exactly what -json prints (docs/json.md).

public sealed record RootPathResult(string Command, ObjectRef Target, bool Live, string? Holder, IReadOnlyList<RootPath> Paths) : CommandDocument(Command);

/// <summary>
/// !backrefs' result. With -type: TypeFilter as given, MatchedTypes it chose, InstanceCount of them and
/// SharingHolderCount with the representative's holder. FileNodeCount: the nodes of the DOT graph written.
/// </summary>
public sealed record BackrefsResult(
    string Command, ObjectRef Target, string? Holder, string? TypeFilter, IReadOnlyList<string>? MatchedTypes, int InstanceCount, int SharingHolderCount,
    IReadOnlyList<BackrefNode> Nodes, IReadOnlyList<BackrefEdge> Edges, IReadOnlyList<BackrefCut> Cuts, string? DotFile, string? SvgFile)
    : CommandDocument(Command)
{
    public int FileNodeCount { get; init; }
}

/// <summary>!retained's result: of one object (Target) or of every live instance of the types -type chose (MatchedTypes).</summary>
public sealed record RetainedCommandResult(
    string Command, ObjectRef? Target, string? TypeFilter, IReadOnlyList<string>? MatchedTypes, int ObjectCount, long ShallowBytes,
    long RetainedCount, long RetainedBytes, long LiveBytes) : CommandDocument(Command)
{
    public static RetainedCommandResult From(RetainedResult r) => new("retained", r.Target, r.Selection?.Text, r.Selection?.Types, r.Objects,
        r.ShallowBytes, r.RetainedCount, r.RetainedBytes, r.LiveBytes);
}

public sealed record DominatorsCommandResult(string Command, long LiveBytes, IReadOnlyList<DominatorRow> Rows) : CommandDocument(Command);

public sealed record FragmentationResult(
    string Command, long FreeBytes, long HeapBytes, double FreePercent, IReadOnlyList<FreeByGeneration> Generations,
    IReadOnlyList<FreeBySegment> Segments, IReadOnlyList<FreeBlock> LargestFree, int PinnedCount, IReadOnlyList<PinnedObject> Pinned)
    : CommandDocument(Command);

/// <summary>
/// A suspect's series: DeltaCount/DeltaBytes from first to last; BytesPerMinute the fitted pace (null when
/// times do not increase); for a holder, Example is one of its objects in the last snapshot.
/// </summary>
public sealed record GrowthSuspectRow(
    string Type, string Module, string? Holder, Trend Verdict, long[] Counts, long[] Bytes, long DeltaCount, long DeltaBytes,
    long? BytesPerMinute, Confidence Confidence, long? LevelsOffAt, string? Example);

/// <summary>One snapshot's totals in a series, named as snapshot's totals are.</summary>
public sealed record GrowthTotalsRow(
    SnapshotRef Snapshot, string Source, long LiveBytes, long LiveCount, IReadOnlyDictionary<string, long> LiveBytesByGeneration,
    long DeadBytes, long FreeBytes, long GcCommittedBytes, long GcMemoryBytes, long? NonGcBytes, long FinalizerQueueLength, long HandleCount);

/// <summary>A whole-process series: Series is its key (the totals field it follows), Title how text names it.</summary>
public sealed record GrowthSeriesRow(
    string Series, string Title, Trend Verdict, long[] Values, SeriesUnit Unit, long Floor, long PerSnapshot, long? PerMinute, Confidence Confidence,
    int? MoreSnapshots, long? LevelsOffAt, SnapshotRef? LevelsOffFrom);

/// <summary>What decided the verdict; Series is a totals key, or "type" / "holder" for a suspect (then Type and Holder say which).</summary>
public sealed record GrowthEvidenceRow(
    string Series, string Title, string? Type, string? Holder, string Rule, SeriesUnit Unit, long First, long Last, long PerSnapshot, long? PerMinute,
    Confidence Confidence, int? MoreSnapshots, double? ExplainedFraction, string? ExplainedBy, long? LevelsOffAt, SnapshotRef? LevelsOffFrom);

/// <summary>Where a series came from (dumps, a live process, or both); the process, runtime and LeakExt that read it.</summary>
public sealed record GrowthProvenance(ProvenanceKind Kind, int? ProcessId, string RuntimeVersion, string LeakExtVersion);

public sealed record HeapGrowthResult(
    string Command, GrowthVerdict Verdict, string Reason, string? Note, GrowthProvenance Provenance, GrowthEvidenceRow? Evidence,
    IReadOnlyList<GrowthTotalsRow> Totals, IReadOnlyList<GrowthSeriesRow> Series,
    IReadOnlyList<GrowthSuspectRow> Types, IReadOnlyList<GrowthSuspectRow> Suspects, string? HtmlFile) : CommandDocument(Command)
{
    public static HeapGrowthResult From(GrowthReport report, IReadOnlyList<StoredSnapshot> series, string? htmlFile)
    {
        SnapshotRef[] refs = series.Select(SnapshotRef.From).ToArray();
        SnapshotRef? At(int? index) => index is int i && i >= 0 && i < refs.Length ? refs[i] : null;
        static long Whole(double value) => (long)Math.Round(value);
        var examples = new Dictionary<(string, string, string), ulong>();
        foreach (HolderStats h in series[^1].Snapshot.Holders)
            examples.TryAdd((h.Type, h.Module, h.Holder), h.ExampleAddress);
        GrowthSuspectRow Row(GrowthSuspect s) =>
            new(s.Type, s.Module, s.Holder, s.Verdict, s.Counts, s.Bytes, s.GrowthCount, s.GrowthBytes,
                s.Fit.PerMinute is { } pace ? Whole(pace) : null, s.Fit.Confidence, s.Fit.LevelsOffAt is { } level ? (long)level : null,
                s.Holder is not null && examples.TryGetValue((s.Type, s.Module, s.Holder), out ulong example) ? Framework.Address.Format(example) : null);

        GrowthEvidenceRow? evidence = report.Evidence is { } e
            ? new GrowthEvidenceRow(e.SeriesKey, e.Series, e.Type, e.Holder, e.Rule, e.Unit, e.First, e.Last, Whole(e.PerSnapshot),
                e.PerMinute is { } p ? Whole(p) : null, e.Confidence, e.MoreSnapshots, e.ExplainedFraction, e.ExplainedBy, e.LevelsOffAt, At(e.LevelsOffFromIndex))
            : null;
        GrowthTotalsRow[] totals = report.Totals.Select((t, i) => new GrowthTotalsRow(refs[i], series[i].Snapshot.Info.Source, t.LiveBytes, t.LiveCount,
            t.LiveBytesByGeneration, t.DeadBytes, t.FreeBytes, t.GcCommittedBytes, t.GcMemoryBytes, t.NonGcBytes, t.FinalizerQueueLength, t.HandleCount)).ToArray();
        GrowthSeriesRow[] rows = report.Series.Select(s => new GrowthSeriesRow(s.Key, s.Series, s.Verdict, s.Values, s.Unit, s.Floor, Whole(s.PerSnapshot),
            s.PerMinute is { } p ? Whole(p) : null, s.Confidence, s.MoreSnapshots, s.LevelsOffAt, At(s.LevelsOffFromIndex))).ToArray();
        return new HeapGrowthResult("heapgrowth", report.Verdict, report.Reason, report.Note, ProvenanceOf(series), evidence, totals, rows,
            report.Types.Select(Row).ToArray(), report.Suspects.Select(Row).ToArray(), htmlFile);
    }

    private static GrowthProvenance ProvenanceOf(IReadOnlyList<StoredSnapshot> series)
    {
        SnapshotInfo[] infos = series.Select(s => s.Snapshot.Info).ToArray();
        ProvenanceKind kind = infos.All(i => i.Source.StartsWith("dump", StringComparison.Ordinal)) ? ProvenanceKind.Dumps
            : infos.All(i => i.Source.StartsWith("process", StringComparison.Ordinal)) ? ProvenanceKind.Process : ProvenanceKind.Mixed;
        int? processId = infos.Select(i => i.ProcessId).Distinct().Count() == 1 ? infos[0].ProcessId : null;
        string runtime = string.Join(", ", infos.Select(i => i.RuntimeVersion).Distinct(StringComparer.Ordinal));
        return new GrowthProvenance(kind, processId, runtime, JsonContract.LeakExtVersion);
    }
}
