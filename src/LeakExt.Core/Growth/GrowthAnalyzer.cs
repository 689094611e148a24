using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Core.Growth;

/// <summary>One snapshot's totals in a series. GcCommittedBytes: regions in use; GcMemoryBytes: plus free regions the GC keeps.</summary>
public sealed record GrowthTotals(
    string Snapshot, DateTimeOffset TakenAt, long LiveBytes, long LiveCount, IReadOnlyDictionary<string, long> LiveBytesByGeneration,
    long DeadBytes, long FreeBytes, long GcCommittedBytes, long? NonGcBytes, long FinalizerQueueLength, long HandleCount)
{
    public long GcMemoryBytes { get; init; }
}

/// <summary>A type (and, when holders are known, one holder) whose objects changed over the series.</summary>
public sealed record GrowthSuspect(string Type, string Module, string? Holder, Trend Verdict, long[] Counts, long[] Bytes)
{
    public long GrowthBytes => Bytes[^1] - Bytes[0];
    public long GrowthCount => Counts[^1] - Counts[0];

    /// <summary>The trend of its bytes, with its evidence.</summary>
    public required TrendFit Fit { get; init; }
}

/// <summary>
/// The verdict of one whole-process series (managed live bytes, GC memory, free space, non-GC memory,
/// finalizer queue), with the floor under which a change is noise, the fitted pace, a confidence, how
/// many more snapshots would tell, and for a plateau its level and the snapshot it settles from.
/// </summary>
public sealed record SeriesVerdict(string Series, Trend Verdict, long[] Values)
{
    /// <summary>The stable key of the series: the totals field it follows (liveBytes, gcMemoryBytes, freeBytes, finalizerQueueLength, nonGcBytes).</summary>
    public string Key { get; init; } = "";
    /// <summary>The index in the series of the snapshot a plateau settles from.</summary>
    public int? LevelsOffFromIndex { get; init; }

    public SeriesUnit Unit { get; init; } = SeriesUnit.Bytes;
    public long Floor { get; init; }
    public double PerSnapshot { get; init; }
    public double? PerMinute { get; init; }
    public Confidence Confidence { get; init; } = Confidence.Low;
    public int? MoreSnapshots { get; init; }
    public long? LevelsOffAt { get; init; }
    public string? LevelsOffFrom { get; init; }
}

public sealed record GrowthReport(
    GrowthVerdict Verdict, string Reason, string? Note, IReadOnlyList<GrowthTotals> Totals, IReadOnlyList<SeriesVerdict> Series,
    IReadOnlyList<GrowthSuspect> Types, IReadOnlyList<GrowthSuspect> Suspects)
{
    public VerdictEvidence? Evidence { get; init; }
}

/// <summary>
/// Reads a series of snapshots: the whole-process series and the per-type and per-holder series,
/// each classified by <see cref="TrendClassifier"/> against its floor, then one verdict by
/// <see cref="VerdictRules"/>. Time is real time (when each snapshot or dump was taken).
/// </summary>
public static class GrowthAnalyzer
{
    /// <param name="mixed">Accept snapshots of different processes, runtime versions or pointer sizes (see <see cref="RequireOneProcess"/>).</param>
    public static GrowthReport Analyze(IReadOnlyList<StoredSnapshot> series, int top, bool mixed = false)
    {
        if (series.Count < 2)
            throw new LeakExtException($"heapgrowth needs at least two snapshots (a trend needs three); this series has {series.Count}.");
        if (!mixed)
            RequireOneProcess(series);
        Snapshot[] snapshots = series.Select(s => s.Snapshot).ToArray();
        double[] times = snapshots.Select(s => (s.Info.TakenAt - snapshots[0].Info.TakenAt).TotalSeconds).ToArray();
        string[] labels = series.Select(s => s.Label).ToArray();

        GrowthTotals[] totals = series.Select(Totals).ToArray();
        long[] live = totals.Select(t => t.LiveBytes).ToArray();
        long[] gcMemory = totals.Select(t => t.GcMemoryBytes).ToArray();
        long[]? native = totals.All(t => t.NonGcBytes is not null) ? totals.Select(t => t.NonGcBytes!.Value).ToArray() : null;

        MeasuredSeries Measure(string key, string name, SeriesUnit unit, long[] values, double floor) =>
            new(name, unit, values, TrendClassifier.Fit(values.Select(v => (double)v).ToArray(), times, floor)) { Key = key };
        MeasuredSeries liveSeries = Measure("liveBytes", "live managed bytes", SeriesUnit.Bytes, live, VerdictRules.Floor(VerdictRules.LiveFloor, VerdictRules.LiveShare, live.Max()));
        MeasuredSeries gcSeries = Measure("gcMemoryBytes", "GC memory (regions in use and free regions)", SeriesUnit.Bytes, gcMemory,
            VerdictRules.Floor(VerdictRules.FreeFloor, VerdictRules.FreeShare, gcMemory.Max()));
        MeasuredSeries freeSeries = Measure("freeBytes", "free bytes in the GC heap", SeriesUnit.Bytes, totals.Select(t => t.FreeBytes).ToArray(),
            VerdictRules.Floor(VerdictRules.FreeFloor, VerdictRules.FreeShare, gcMemory.Max()));
        long[] queue = totals.Select(t => t.FinalizerQueueLength).ToArray();
        MeasuredSeries queueSeries = Measure("finalizerQueueLength", "finalizer queue", SeriesUnit.Objects, queue, VerdictRules.Floor(VerdictRules.QueueFloor, VerdictRules.QueueShare, queue.Max()));
        MeasuredSeries? nativeSeries = native is null ? null
            : Measure("nonGcBytes", "non-GC memory", SeriesUnit.Bytes, native, VerdictRules.Floor(VerdictRules.NativeFloor, VerdictRules.NativeShare, native.Max()));

        GrowthSuspect[] types = TypeSuspects(snapshots, times, top);
        GrowthSuspect[] suspects = HolderSuspects(snapshots, times, top);
        Verdict verdict = VerdictRules.Decide(new GrowthInputs(labels, liveSeries, freeSeries, queueSeries, nativeSeries, types, suspects,
            snapshots[^1].Totals.CommittedBytes, snapshots[^1].Pinning));

        var seriesVerdicts = new List<SeriesVerdict> { Describe(liveSeries, labels), Describe(gcSeries, labels), Describe(freeSeries, labels), Describe(queueSeries, labels) };
        if (nativeSeries is not null)
            seriesVerdicts.Add(Describe(nativeSeries, labels));
        string? note = series.Count < 3 ? "A trend needs at least three snapshots: take another one and run 'heapgrowth' again."
            : verdict.Evidence?.MoreSnapshots is int more && verdict.Kind == GrowthVerdict.None ? $"Live bytes need about {more} more snapshot{(more == 1 ? "" : "s")} at this pace to tell a trend from noise." : null;
        return new GrowthReport(verdict.Kind, verdict.Reason, note, totals, seriesVerdicts, types, suspects) { Evidence = verdict.Evidence };
    }

    /// <summary>
    /// A trend is one process's memory over time: a snapshot of another process (a restart, a
    /// stray file in the folder), another runtime version or pointer size is refused, naming it.
    /// </summary>
    private static void RequireOneProcess(IReadOnlyList<StoredSnapshot> series)
    {
        SnapshotInfo first = series[0].Snapshot.Info;
        static string Process(int? pid) => pid is int id ? $"process {id}" : "an unknown process";
        foreach (StoredSnapshot stored in series.Skip(1))
        {
            SnapshotInfo info = stored.Snapshot.Info;
            string? difference =
                info.ProcessId != first.ProcessId ? $"is from {Process(info.ProcessId)}, the series before it from {Process(first.ProcessId)}"
                : info.RuntimeVersion != first.RuntimeVersion ? $"is from .NET {info.RuntimeVersion}, the series before it from .NET {first.RuntimeVersion}"
                : info.PointerSize != first.PointerSize ? $"has {info.PointerSize * 8}-bit pointers, the series before it {first.PointerSize * 8}-bit"
                : null;
            if (difference is not null)
                throw new LeakExtException($"heapgrowth: {(stored.File is { } file ? $"'{file}'" : stored.Label)} {difference}; pass -mixed to treat them as one series anyway.");
        }
    }

    private static SeriesVerdict Describe(MeasuredSeries m, string[] labels) => new(m.Name, m.Fit.Trend, m.Values)
    {
        Key = m.Key,
        LevelsOffFromIndex = m.Fit.LevelsOffFrom,
        Unit = m.Unit,
        Floor = (long)m.Fit.Floor,
        PerSnapshot = Math.Round(m.Fit.PerSnapshot, 1),
        PerMinute = m.Fit.PerMinute is { } p ? Math.Round(p, 1) : null,
        Confidence = m.Fit.Confidence,
        MoreSnapshots = m.Fit.MoreSnapshots,
        LevelsOffAt = m.Fit.LevelsOffAt is { } level ? (long)level : null,
        LevelsOffFrom = m.Fit.LevelsOffFrom is int from ? labels[from] : null,
    };

    private static GrowthTotals Totals(StoredSnapshot stored)
    {
        Snapshot s = stored.Snapshot;
        var byGeneration = s.Totals.Generations.ToDictionary(g => g.Generation, g => g.LiveBytes);
        long handles = s.Roots.Where(r => r.Key.EndsWith("handle", StringComparison.Ordinal)).Sum(r => r.Value);
        return new GrowthTotals(stored.Label, s.Info.TakenAt, s.Totals.LiveBytes, s.Totals.LiveCount, byGeneration, s.Totals.DeadBytes,
            s.Totals.FreeBytes, s.Totals.CommittedBytes, s.Memory?.NonGcBytes, s.FinalizerQueueLength, handles)
        {
            GcMemoryBytes = s.Totals.GcMemoryBytes,
        };
    }

    /// <summary>Types ranked by how much they grew from first to last, and classified.</summary>
    private static GrowthSuspect[] TypeSuspects(Snapshot[] snapshots, double[] times, int top)
    {
        var series = new Dictionary<TypeKey, (long[] Counts, long[] Bytes)>();
        for (int i = 0; i < snapshots.Length; i++)
        {
            foreach (TypeStats row in snapshots[i].Types)
            {
                if (!series.TryGetValue(row.Key, out var values))
                    series[row.Key] = values = (new long[snapshots.Length], new long[snapshots.Length]);
                values.Counts[i] += row.Count;
                values.Bytes[i] += row.Bytes;
            }
        }
        return Rank(series.Select(p => (p.Key.Type, p.Key.Module, (string?)null, p.Value.Counts, p.Value.Bytes)), times, top);
    }

    /// <summary>(type, holder) pairs ranked by growth, when every snapshot has holders.</summary>
    private static GrowthSuspect[] HolderSuspects(Snapshot[] snapshots, double[] times, int top)
    {
        if (snapshots.Any(s => s.Holders.Count == 0))
            return [];
        var series = new Dictionary<(string, string, string), (long[] Counts, long[] Bytes)>();
        for (int i = 0; i < snapshots.Length; i++)
        {
            foreach (HolderStats row in snapshots[i].Holders)
            {
                var key = (row.Type, row.Module, row.Holder);
                if (!series.TryGetValue(key, out var values))
                    series[key] = values = (new long[snapshots.Length], new long[snapshots.Length]);
                values.Counts[i] += row.Count;
                values.Bytes[i] += row.Bytes;
            }
        }
        return Rank(series.Select(p => (p.Key.Item1, p.Key.Item2, (string?)p.Key.Item3, p.Value.Counts, p.Value.Bytes)), times, top);
    }

    /// <summary>The top series by growth in bytes, each classified against max(64 KiB, 2% of its own largest value).</summary>
    private static GrowthSuspect[] Rank(IEnumerable<(string Type, string Module, string? Holder, long[] Counts, long[] Bytes)> series, double[] times, int top) =>
        series.Where(s => s.Bytes[^1] != s.Bytes[0] || s.Counts[^1] != s.Counts[0])
            .OrderByDescending(s => s.Bytes[^1] - s.Bytes[0]).ThenBy(s => s.Type, StringComparer.Ordinal).ThenBy(s => s.Holder, StringComparer.Ordinal)
            .Take(top > 0 ? top : int.MaxValue)
            .Select(s =>
            {
                TrendFit fit = TrendClassifier.Fit(s.Bytes.Select(b => (double)b).ToArray(), times,
                    VerdictRules.Floor(VerdictRules.SuspectFloor, VerdictRules.SuspectShare, s.Bytes.Max()));
                return new GrowthSuspect(s.Type, s.Module, s.Holder, fit.Trend, s.Counts, s.Bytes) { Fit = fit };
            })
            .ToArray();
}
