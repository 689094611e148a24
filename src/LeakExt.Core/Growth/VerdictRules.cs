namespace LeakExt.Core.Growth;

/// <summary>What a series counts.</summary>
public enum SeriesUnit
{
    Bytes,
    /// <summary>Objects waiting (the finalizer queue).</summary>
    Objects,
}

/// <summary>The documented names (docs/json.md) of series units: the only place they are spelled.</summary>
public static class SeriesUnits
{
    public static string Name(this SeriesUnit unit) => unit switch
    {
        SeriesUnit.Bytes => "bytes",
        SeriesUnit.Objects => "objects",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };
}

/// <summary>A whole-process series with its trend, as the rules read it.</summary>
public sealed record MeasuredSeries(string Name, SeriesUnit Unit, long[] Values, TrendFit Fit)
{
    /// <summary>A stable key: the totals field the series follows, or "type" / "holder" for a suspect's series.</summary>
    public string Key { get; init; } = "";
    public string? Type { get; init; }
    public string? Holder { get; init; }

    public long Change => Values[^1] - Values[0];

    /// <summary>For a plateau the rise to its level, else the fitted change: what the series adds over the snapshots.</summary>
    public double Growth => Fit.Trend == Trend.Plateau ? Fit.LevelsOffAt!.Value - Values[0] : Fit.PerSnapshot * (Values.Length - 1);
}

/// <summary>What the rules read from a series of snapshots.</summary>
public sealed record GrowthInputs(
    string[] Labels, MeasuredSeries Live, MeasuredSeries Free, MeasuredSeries Queue, MeasuredSeries? NonGc,
    IReadOnlyList<GrowthSuspect> Types, IReadOnlyList<GrowthSuspect> Holders,
    long LastCommittedBytes, Snapshots.PinningSummary? LastPinning);

/// <summary>
/// What decided a verdict: the series, the rule and its floor, the pace (per snapshot, and per
/// minute when the snapshots' times are known), the confidence or how many more snapshots would
/// tell, the share of the growth the top holders explain (or, for fragmentation, the share of free
/// space right before pinned objects), and for a plateau where it levels off.
/// </summary>
public sealed record VerdictEvidence(
    string Series, string Rule, SeriesUnit Unit, long First, long Last, double PerSnapshot, double? PerMinute, Confidence Confidence,
    int? MoreSnapshots, double? ExplainedFraction, string? ExplainedBy, long? LevelsOffAt, string? LevelsOffFrom)
{
    /// <summary>The series' stable key (<see cref="MeasuredSeries.Key"/>), and for a suspect's series its type and holder.</summary>
    public string SeriesKey { get; init; } = "";
    public string? Type { get; init; }
    public string? Holder { get; init; }
    public int? LevelsOffFromIndex { get; init; }
}

/// <summary>The overall verdict of a series of snapshots (docs/heapgrowth.md says when each is given).</summary>
public enum GrowthVerdict
{
    /// <summary>Two snapshots: a change, not a trend.</summary>
    Insufficient,
    FinalizerBacklog,
    Fragmentation,
    Native,
    Leak,
    Plateau,
    None,
}

/// <summary>The documented names (docs/json.md) of verdicts: the only place they are spelled.</summary>
public static class GrowthVerdicts
{
    public static string Name(this GrowthVerdict verdict) => verdict switch
    {
        GrowthVerdict.Insufficient => "insufficient",
        GrowthVerdict.FinalizerBacklog => "finalizer-backlog",
        GrowthVerdict.Fragmentation => "fragmentation",
        GrowthVerdict.Native => "native",
        GrowthVerdict.Leak => "leak",
        GrowthVerdict.Plateau => "plateau",
        GrowthVerdict.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };
}

public sealed record Verdict(GrowthVerdict Kind, string Reason, VerdictEvidence? Evidence);

/// <summary>
/// The overall verdict of a series of snapshots, and the floors under which a change is noise.
/// Each floor is absolute and relative, and a series must clear both (docs/heapgrowth.md says why):
/// <list type="bullet">
/// <item>live managed bytes: 256 KiB and 1% of the largest value — below that, runtime internals
/// (JIT'd generics, interned strings, pools) move from one moment to the next;</item>
/// <item>a type or holder: 64 KiB and 2% of its own largest value to have a trend, and to decide the
/// overall verdict its growth must clear the live floor too;</item>
/// <item>free space in the GC heap: 4 MiB and 10% of the GC's memory — allocation contexts and the
/// gen0 budget leave MiBs of free space that come and go with every GC;</item>
/// <item>non-GC memory: 8 MiB and 5% of its largest value — code heaps, new threads' stacks and
/// malloc arenas grow in such steps without a leak;</item>
/// <item>the finalizer queue: 100 objects and 10% of its largest value, and at least 100 waiting.</item>
/// </list>
/// Garbage (dead bytes) is in none of these series: it is never a leak or fragmentation.
/// </summary>
public static class VerdictRules
{
    public const long LiveFloor = 256 << 10;
    public const double LiveShare = 0.01;
    public const long SuspectFloor = 64 << 10;
    public const double SuspectShare = 0.02;
    public const long FreeFloor = 4 << 20;
    public const double FreeShare = 0.10;
    public const long NativeFloor = 8 << 20;
    public const double NativeShare = 0.05;
    public const long QueueFloor = 100;
    public const double QueueShare = 0.10;

    /// <summary>A heap is fragmented when free space is at least half of the committed memory in use, and 16 MiB…</summary>
    public const double FragmentedShare = 0.5;
    public const long FragmentedFloor = 16 << 20;

    /// <summary>…and pinned objects border at least half of its largest free blocks.</summary>
    public const double PinnedBorderShare = 0.5;

    public static double Floor(long absolute, double share, long largest) => Math.Max(absolute, share * Math.Abs(largest));

    public static Verdict Decide(GrowthInputs s)
    {
        if (s.Labels.Length < 3)
            return new Verdict(GrowthVerdict.Insufficient, "two snapshots show a change, not a trend", Evidence(s, s.Live, "a trend needs three snapshots", null));
        MeasuredSeries live = s.Live, free = s.Free, queue = s.Queue;
        long liveFloor = (long)Floor(LiveFloor, LiveShare, live.Values.Max());

        if (queue.Fit.Trend == Trend.Leak && queue.Values[^1] >= QueueFloor)
            return new Verdict(GrowthVerdict.FinalizerBacklog, $"the finalizer queue keeps growing ({queue.Values[0]:N0} → {queue.Values[^1]:N0} objects waiting): a finalizer is slow or blocked, and what its objects hold stays alive",
                Evidence(s, queue, $"the queue rises by more than max({QueueFloor}, {Percent(QueueShare)} of its largest), significantly, and ends with ≥ {QueueFloor} waiting", null));

        // Growth: fragmentation, native or managed, whichever adds the most bytes.
        GrowthSuspect? leading = Major(s.Holders.Count > 0 ? s.Holders : s.Types, Trend.Leak, liveFloor);
        var growing = new List<(double Bytes, Func<Verdict> Make)>();
        if (free.Fit.Trend == Trend.Leak)
            growing.Add((free.Growth, () => new Verdict(GrowthVerdict.Fragmentation,
                $"free space inside the GC heap keeps growing ({Format(free.Values[0])} → {Format(free.Values[^1])}) while live bytes {Moves(live)}: pinned objects keep the GC from closing the gaps (run 'fragmentation')",
                Evidence(s, free, $"free space rises by more than max({Format(FreeFloor)}, {Percent(FreeShare)} of the GC's memory), significantly", PinnedShare(s.LastPinning, free.Values[^1])))));
        if (s.NonGc is { Fit.Trend: Trend.Leak } native)
            growing.Add((native.Growth, () => new Verdict(GrowthVerdict.Native,
                $"memory outside the GC heap keeps growing ({Format(native.Values[0])} → {Format(native.Values[^1])}) while live managed bytes {Moves(live)}: unfreed native allocations (Marshal.AllocHGlobal, NativeMemory, native libraries); LeakExt cannot tell which",
                Evidence(s, native, $"non-GC memory rises by more than max({Format(NativeFloor)}, {Percent(NativeShare)} of its largest), significantly", null))));
        if (live.Fit.Trend == Trend.Leak || leading is not null)
        {
            bool bySuspect = live.Fit.Trend != Trend.Leak;
            double bytes = bySuspect ? leading!.GrowthBytes : Math.Max(live.Growth, leading?.GrowthBytes ?? 0);
            growing.Add((bytes, () => new Verdict(GrowthVerdict.Leak,
                $"live managed memory keeps growing ({Format(live.Values[0])} → {Format(live.Values[^1])}), led by {Lead(s, Trend.Leak)}",
                bySuspect ? SuspectEvidence(s, leading!, liveFloor) : Evidence(s, live, LiveRule(liveFloor), TopHolders(s, live.Growth, Trend.Leak)))));
        }
        if (growing.Count > 0)
            return growing.OrderByDescending(g => g.Bytes).First().Make();

        if (Fragmented(s) is { } fragmented)
            return fragmented;

        GrowthSuspect? levelling = Major(s.Holders.Count > 0 ? s.Holders : s.Types, Trend.Plateau, liveFloor);
        if (live.Fit.Trend == Trend.Plateau || levelling is not null)
        {
            string level = live.Fit.Trend == Trend.Plateau
                ? $", level at {Format((long)live.Fit.LevelsOffAt!.Value)} from {s.Labels[live.Fit.LevelsOffFrom!.Value]}" : "";
            return new Verdict(GrowthVerdict.Plateau, $"memory grew, then levelled off ({Format(live.Values[0])} → {Format(live.Values[^1])}{level}), led by {Lead(s, Trend.Plateau)}: a cache warming up",
                live.Fit.Trend == Trend.Plateau ? Evidence(s, live, LiveRule(liveFloor), TopHolders(s, live.Growth, Trend.Plateau)) : SuspectEvidence(s, levelling!, liveFloor));
        }

        string reason = "no steady growth";
        if (live.Fit.Trend == Trend.Unclear)
            reason += $"; live bytes moved ({Format(live.Values[0])} → {Format(live.Values[^1])}) but the noise hides whether it is a trend";
        if (s.NonGc is { Fit.Trend: Trend.Plateau } warm)
            reason += $"; memory outside the GC heap rose once and stays at {Format((long)warm.Fit.LevelsOffAt!.Value)} (warm-up, not a leak)";
        return new Verdict(GrowthVerdict.None, reason, Evidence(s, live, LiveRule(liveFloor), null));
    }

    /// <summary>A stable heap that is mostly free space held open by pinned objects.</summary>
    private static Verdict? Fragmented(GrowthInputs s)
    {
        long free = s.Free.Values[^1];
        if (s.LastPinning is not { } pinning || s.Free.Fit.Trend == Trend.Shrinking || s.LastCommittedBytes <= 0)
            return null;
        double share = (double)free / s.LastCommittedBytes;
        if (share < FragmentedShare || free < FragmentedFloor || pinning.LargestFreeBlocks == 0
            || pinning.LargestFreeNextToPinned < PinnedBorderShare * pinning.LargestFreeBlocks)
            return null;
        return new Verdict(GrowthVerdict.Fragmentation,
            $"{Percent(share)} of the GC heap's committed memory is free space ({Format(free)}), held open by {pinning.PinnedObjects:N0} pinned objects ({pinning.LargestFreeNextToPinned} of the {pinning.LargestFreeBlocks} largest free blocks end at one): that is why memory is high (run 'fragmentation')",
            Evidence(s, s.Free, $"free space ≥ {Percent(FragmentedShare)} of committed memory in use and ≥ {Format(FragmentedFloor)}, pinned objects after ≥ {Percent(PinnedBorderShare)} of the largest free blocks", PinnedShare(pinning, free)));
    }

    /// <summary>The type or holder with the most growth of this trend that clears the live floor.</summary>
    private static GrowthSuspect? Major(IReadOnlyList<GrowthSuspect> suspects, Trend trend, long liveFloor) =>
        suspects.Where(x => x.Fit.Trend == trend && x.GrowthBytes >= liveFloor).OrderByDescending(x => x.GrowthBytes).FirstOrDefault();

    private static string Lead(GrowthInputs s, Trend trend)
    {
        GrowthSuspect? type = s.Types.Where(t => t.Fit.Trend == trend).OrderByDescending(t => t.GrowthBytes).FirstOrDefault();
        return type?.Type ?? "no single type";
    }

    private static string LiveRule(long floor) => $"live bytes rise by more than max({Format(LiveFloor)}, {Percent(LiveShare)} of the largest) = {Format(floor)}";

    private static VerdictEvidence SuspectEvidence(GrowthInputs s, GrowthSuspect x, long liveFloor)
    {
        string series = x.Holder is null ? $"type {x.Type}" : $"holder {x.Holder} ({x.Type})";
        string rule = $"a type or holder grows by ≥ {Format(liveFloor)} (the live floor) with a significant trend of its own";
        var measured = new MeasuredSeries(series, SeriesUnit.Bytes, x.Bytes, x.Fit) { Key = x.Holder is null ? "type" : "holder", Type = x.Type, Holder = x.Holder };
        return Evidence(s, measured, rule, TopHolders(s, Math.Max(s.Live.Growth, x.GrowthBytes), x.Fit.Trend));
    }

    private static VerdictEvidence Evidence(GrowthInputs s, MeasuredSeries m, string rule, (double Fraction, string By)? explained) =>
        new(m.Name, rule, m.Unit, m.Values[0], m.Values[^1], Math.Round(m.Fit.PerSnapshot, 1), m.Fit.PerMinute is { } p ? Math.Round(p, 1) : null,
            m.Fit.Confidence, m.Fit.MoreSnapshots, explained is { } e ? Math.Round(e.Fraction, 3) : null, explained?.By,
            m.Fit.LevelsOffAt is { } level ? (long)level : null, m.Fit.LevelsOffFrom is int from ? s.Labels[from] : null)
        {
            SeriesKey = m.Key, Type = m.Type, Holder = m.Holder, LevelsOffFromIndex = m.Fit.LevelsOffFrom,
        };

    /// <summary>
    /// The share of <paramref name="growth"/> that the (up to) three holders, or types without holders,
    /// that grew most with the same trend account for: for a leak, those that keep growing.
    /// </summary>
    private static (double, string)? TopHolders(GrowthInputs s, double growth, Trend trend)
    {
        IReadOnlyList<GrowthSuspect> suspects = s.Holders.Count > 0 ? s.Holders : s.Types;
        GrowthSuspect[] top = suspects.Where(x => x.GrowthBytes > 0 && x.Fit.Trend == trend).OrderByDescending(x => x.GrowthBytes).Take(3).ToArray();
        if (top.Length == 0 || growth <= 0)
            return null;
        string what = s.Holders.Count > 0 ? "holder" : "type";
        string verb = trend != Trend.Leak ? "levelled off" : top.Length == 1 ? "keeps growing" : "keep growing";
        string label = top.Length == 1 ? $"the {what} that {verb}" : $"the {top.Length} {what}s that {verb}";
        return (Math.Min(1, top.Sum(x => (double)x.GrowthBytes) / growth), label);
    }

    private static (double, string)? PinnedShare(Snapshots.PinningSummary? pinning, long free) =>
        pinning is { } p && free > 0 ? (Math.Min(1, (double)p.FreeBytesBeforePinned / free), "free space right before pinned objects") : null;

    private static string Moves(MeasuredSeries live) => live.Fit.Trend is Trend.Leak or Trend.Plateau
        ? $"grow less ({Format(live.Values[0])} → {Format(live.Values[^1])})" : $"stay flat ({Format(live.Values[0])} → {Format(live.Values[^1])})";

    private static string Percent(double share) => $"{share * 100:0.#}%";

    internal static string Format(long bytes) => Math.Abs(bytes) switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1 << 20 => $"{bytes / (double)(1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
