namespace LeakExt.Core.Growth;

/// <summary>What a series of measurements does over time.</summary>
public enum Trend
{
    /// <summary>Only two points: it moved, but a trend needs three.</summary>
    Insufficient,
    Stable,
    /// <summary>Keeps growing, not slowing down.</summary>
    Leak,
    /// <summary>Grew, then stayed flat: a cache warming up, or warm-up of the process.</summary>
    Plateau,
    Shrinking,
    /// <summary>Moved by more than the floor, but the noise hides whether it is a trend.</summary>
    Unclear,
}

/// <summary>How sure a trend is: high, medium or low (docs/heapgrowth.md says what each takes).</summary>
public enum Confidence
{
    Low,
    Medium,
    High,
}

/// <summary>The documented names (docs/json.md) of trends and confidences: the only place they are spelled.</summary>
public static class Trends
{
    public static string Name(this Trend trend) => trend switch
    {
        Trend.Insufficient => "insufficient",
        Trend.Stable => "stable",
        Trend.Leak => "leak",
        Trend.Plateau => "plateau",
        Trend.Shrinking => "shrinking",
        Trend.Unclear => "unclear",
        _ => throw new ArgumentOutOfRangeException(nameof(trend), trend, null),
    };

    public static string Name(this Confidence confidence) => confidence switch
    {
        Confidence.Low => "low",
        Confidence.Medium => "medium",
        Confidence.High => "high",
        _ => throw new ArgumentOutOfRangeException(nameof(confidence), confidence, null),
    };
}

/// <summary>
/// A series' trend with its evidence: the fitted change per snapshot (and per minute when the
/// snapshots' times are known), the t statistic of the fitted slope, a confidence (high, medium,
/// low), how many more snapshots would tell when it cannot tell yet, and for a plateau the level it
/// settles at and the snapshot (index) from which it stays there.
/// </summary>
public sealed record TrendFit(
    Trend Trend, double Floor, double PerSnapshot, double? PerMinute, double TStatistic, Confidence Confidence,
    int? MoreSnapshots, double? LevelsOffAt, int? LevelsOffFrom);

/// <summary>
/// Classifies a series (bytes or counts at increasing times). In order:
/// <list type="number">
/// <item>plateau: after some snapshot k the series stays flat: its pace, up or down, is under a third
/// of the pace that brought it there and it moves by at most max(floor, half of that rise); before k it rose by
/// more than the floor, significantly against the model's scatter (Student t, 95%); and "rise, then
/// flat" leaves at most half the squared residuals of a straight line. Warm-up confined to the first
/// interval is a plateau from snapshot 1.</item>
/// <item>leak / shrinking: the least-squares rise over the series exceeds the floor and the slope is
/// significant (one-sided Student t at 95%; confidence high at 99% with four snapshots or more).</item>
/// <item>stable: the rise is within the floor, or the series comes back to where it was (the later
/// half's low at or under the earlier half's average, or within the floor of its low: a sawtooth, a
/// spike that was released).</item>
/// <item>unclear: anything else: it moved, but the noise hides the trend; it says how many more
/// snapshots at the same pace and scatter would make the slope significant.</item>
/// </list>
/// Times are used when they increase strictly (uneven intervals count), else snapshot numbers. O(n²) per series for the plateau search, n is small.
/// </summary>
public static class TrendClassifier
{
    /// <summary>Relative floor of <see cref="Classify"/>: changes under 2% of the series' largest value are noise.</summary>
    public const double RelativeFloor = 0.02;

    /// <summary>The flat part's pace must be under this share of the pace that led to it.</summary>
    public const double PlateauPace = 1.0 / 3;

    /// <summary>The flat part may add at most this share of the rise before it (or the floor).</summary>
    public const double PlateauTail = 0.5;

    /// <summary>"Rise, then flat" must leave at most this share of a straight line's squared residuals.</summary>
    public const double PlateauFit = 0.5;

    /// <summary>The trend alone, with a floor of max(<paramref name="absoluteFloor"/>, 2% of the largest value).</summary>
    public static Trend Classify(IReadOnlyList<double> values, IReadOnlyList<double>? times = null, double absoluteFloor = 1) =>
        Fit(values, times, Math.Max(absoluteFloor, RelativeFloor * (values.Count == 0 ? 0 : values.Max(Math.Abs)))).Trend;

    public static TrendFit Fit(IReadOnlyList<double> values, IReadOnlyList<double>? seconds, double floor)
    {
        int n = values.Count;
        bool timed = seconds is not null && seconds.Count == n && n >= 2 && Enumerable.Range(1, n - 1).All(i => seconds[i] > seconds[i - 1]);
        double[] t = timed ? seconds!.ToArray() : Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        if (n < 2)
            return new TrendFit(Trend.Stable, floor, 0, null, 0, Confidence.Low, 2 - n, null, null);
        double change = values[n - 1] - values[0];
        double interval = (t[n - 1] - t[0]) / (n - 1);
        if (n == 2)
        {
            double perMinute2 = change / (t[1] - t[0]) * 60;
            return new TrendFit(Math.Abs(change) <= floor ? Trend.Stable : Trend.Insufficient, floor, change, timed ? perMinute2 : null, 0, Confidence.Low, 1, null, null);
        }

        (double slope, double scatter, double sse, double sxx) = Line(values, t, 0, n);
        double? perMinute = timed ? slope * 60 : null;
        double perSnapshot = slope * interval;
        double se = scatter / Math.Sqrt(sxx);
        double tStat = se > 0 ? slope / se : slope == 0 ? 0 : Math.CopySign(double.PositiveInfinity, slope);
        double rise = slope * (t[n - 1] - t[0]);

        if (FindPlateau(values, t, floor, sse) is { } plateau)
        {
            int flat = n - plateau.From;
            return new TrendFit(Trend.Plateau, floor, perSnapshot, perMinute, tStat, flat >= 4 ? Confidence.High : flat == 3 ? Confidence.Medium : Confidence.Low,
                flat >= 3 ? null : 3 - flat, plateau.Level, plateau.From);
        }

        double t95 = StudentT(n - 2, high: false), t99 = StudentT(n - 2, high: true);
        Confidence confidence = Math.Abs(tStat) >= t99 && n >= 4 ? Confidence.High : Confidence.Medium;
        if (rise > floor && tStat >= t95)
            return new TrendFit(Trend.Leak, floor, perSnapshot, perMinute, tStat, confidence, null, null, null);
        if (rise < -floor && tStat <= -t95)
            return new TrendFit(Trend.Shrinking, floor, perSnapshot, perMinute, tStat, confidence, null, null, null);
        if (Math.Abs(rise) <= floor)
            return new TrendFit(Trend.Stable, floor, perSnapshot, perMinute, tStat, Math.Abs(rise) + t95 * se * (t[n - 1] - t[0]) <= floor ? Confidence.High : Confidence.Medium,
                null, null, null);
        if (ComesBack(values, floor))
            return new TrendFit(Trend.Stable, floor, perSnapshot, perMinute, tStat, Confidence.Medium, null, null, null);
        return new TrendFit(Trend.Unclear, floor, perSnapshot, perMinute, tStat, Confidence.Low, MoreSnapshotsToTell(slope, scatter, interval, n), null, null);
    }

    /// <summary>The later half falls back to the earlier half's average, or to within the floor of its low: what rose came back down.</summary>
    private static bool ComesBack(IReadOnlyList<double> values, double floor)
    {
        int n = values.Count, half = n / 2;
        double earlyLow = double.MaxValue, earlyMean = 0, lateLow = double.MaxValue;
        for (int i = 0; i < n; i++)
        {
            if (i < half)
            {
                earlyLow = Math.Min(earlyLow, values[i]);
                earlyMean += values[i] / half;
            }
            else
            {
                lateLow = Math.Min(lateLow, values[i]);
            }
        }
        return lateLow <= Math.Max(earlyLow + floor, earlyMean);
    }

    /// <summary>
    /// The snapshot k from which the series stays (nearly) flat after rising, and where the flat part
    /// ends up (the mean of the last two values); null when it does not level off. The model "rise, then flat": a straight rise from the
    /// first value to the flat part's least-squares line at k, then that line; of the k that pass, the
    /// one this model fits best (the knee).
    /// </summary>
    private static (int From, double Level)? FindPlateau(IReadOnlyList<double> values, double[] t, double floor, double lineSse)
    {
        int n = values.Count;
        if (lineSse <= 0)
            return null;
        (int From, double Level, double Sse)? best = null;
        for (int k = 1; k <= n - 2; k++)
        {
            (double tailSlope, _, _, _) = Line(values, t, k, n - k);
            double tailMeanT = 0, tailMean = 0;
            for (int i = k; i < n; i++)
            {
                tailMeanT += t[i];
                tailMean += values[i];
            }
            tailMeanT /= n - k;
            tailMean /= n - k;
            double atK = tailMean + tailSlope * (t[k] - tailMeanT);
            double rise = atK - values[0];
            double tailRise = tailSlope * (t[n - 1] - t[k]);
            if (rise <= floor || Math.Abs(tailSlope) > PlateauPace * rise / (t[k] - t[0]) || Math.Abs(tailRise) > Math.Max(floor, PlateauTail * rise))
                continue;
            double hingeSse = 0;
            for (int i = 0; i < n; i++)
            {
                double expected = i < k ? values[0] + rise * (t[i] - t[0]) / (t[k] - t[0]) : tailMean + tailSlope * (t[i] - tailMeanT);
                hingeSse += (values[i] - expected) * (values[i] - expected);
            }
            // The rise must stand out of the model's own scatter (three fitted numbers: the rise, the flat part's line).
            double scatter = n > 3 ? Math.Sqrt(hingeSse / (n - 3)) : 0;
            if (hingeSse <= PlateauFit * lineSse && (hingeSse == 0 || rise > StudentT(n - 3, high: false) * scatter) && (best is null || hingeSse < best.Value.Sse))
                best = (k, (values[n - 2] + values[n - 1]) / 2, hingeSse);
        }
        return best is { } b ? (b.From, b.Level) : null;
    }

    /// <summary>How many more snapshots at the same interval, pace and scatter would make the slope significant; null beyond 30.</summary>
    private static int? MoreSnapshotsToTell(double slope, double scatter, double interval, int n)
    {
        if (slope == 0 || scatter <= 0 || interval <= 0)
            return null;
        for (int more = 1; more <= 30; more++)
        {
            int total = n + more;
            double sxx = interval * interval * total * ((double)total * total - 1) / 12;
            if (Math.Abs(slope) * Math.Sqrt(sxx) / scatter >= StudentT(total - 2, high: false))
                return more;
        }
        return null;
    }

    /// <summary>Least-squares fit of values[from..from+count) against t: slope, residual standard deviation, squared residuals, Σ(t − mean)².</summary>
    internal static (double Slope, double Scatter, double Sse, double Sxx) Line(IReadOnlyList<double> values, double[] t, int from, int count)
    {
        double meanT = 0, meanV = 0;
        for (int i = from; i < from + count; i++)
        {
            meanT += t[i];
            meanV += values[i];
        }
        meanT /= count;
        meanV /= count;
        double sxx = 0, sxy = 0;
        for (int i = from; i < from + count; i++)
        {
            sxx += (t[i] - meanT) * (t[i] - meanT);
            sxy += (t[i] - meanT) * (values[i] - meanV);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double sse = 0;
        for (int i = from; i < from + count; i++)
        {
            double r = values[i] - (meanV + slope * (t[i] - meanT));
            sse += r * r;
        }
        // Below rounding noise of the values themselves, a residual is zero.
        if (sse <= 1e-18 * Math.Max(1, meanV * meanV) * count)
            sse = 0;
        return (slope, count > 2 ? Math.Sqrt(sse / (count - 2)) : 0, sse, sxx);
    }

    private static readonly double[] T95 = [6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753];
    private static readonly double[] T99 = [31.821, 6.965, 4.541, 3.747, 3.365, 3.143, 2.998, 2.896, 2.821, 2.764, 2.718, 2.681, 2.650, 2.624, 2.602];

    /// <summary>One-sided Student t quantile (95% or 99%) for <paramref name="df"/> degrees of freedom.</summary>
    internal static double StudentT(int df, bool high)
    {
        double[] table = high ? T99 : T95;
        if (df < 1)
            return double.PositiveInfinity;
        if (df <= table.Length)
            return table[df - 1];
        // Beyond the table, the Cornish-Fisher expansion around the normal quantile (3 decimals from df 16).
        double z = high ? 2.3263 : 1.6449;
        return z + (z * z * z + z) / (4.0 * df) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96.0 * df * df);
    }
}
