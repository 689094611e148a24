namespace LeakExt.Core.Growth;

/// <summary>What a series of measurements does over time.</summary>
public enum Trend
{
    /// <summary>Only two points: it moved, but a trend needs three.</summary>
    Insufficient,
    Stable,
    /// <summary>Keeps growing, not slowing down.</summary>
    Leak,
    /// <summary>Grew, then slowed to a stop: a cache warming up.</summary>
    Plateau,
    Shrinking,
}

public static class Trends
{
    public static string Name(Trend trend) => trend switch
    {
        Trend.Insufficient => "insufficient",
        Trend.Stable => "stable",
        Trend.Leak => "leak",
        Trend.Plateau => "plateau",
        _ => "shrinking",
    };
}

/// <summary>
/// Classifies a series (bytes or counts at increasing times) as leak, plateau, stable or shrinking.
/// It fits a line by least squares; growth counts only when the fitted rise clearly exceeds both
/// the scatter around the line and a small floor (noise and rounding never make a leak). A
/// growing series is a plateau when its second half rises at less than a third of its first
/// half's pace; otherwise it is a leak, slow or fast. O(n) per series.
/// </summary>
public static class TrendClassifier
{
    /// <summary>Relative floor: changes under 2% of the series' largest value are noise.</summary>
    public const double RelativeFloor = 0.02;

    /// <summary>The late/early pace ratio under which growth counts as levelling off.</summary>
    public const double PlateauRatio = 1.0 / 3;

    public static Trend Classify(IReadOnlyList<double> values, IReadOnlyList<double>? times = null, double absoluteFloor = 1)
    {
        int n = values.Count;
        if (n < 2)
            return Trend.Stable;
        double[] t = times?.ToArray() ?? Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        if (t.Distinct().Count() < n)
            t = Enumerable.Range(0, n).Select(i => (double)i).ToArray();

        double max = values.Max(Math.Abs);
        double floor = Math.Max(absoluteFloor, RelativeFloor * max);
        double change = values[n - 1] - values[0];
        if (n == 2)
            return Math.Abs(change) <= floor ? Trend.Stable : Trend.Insufficient;

        (double slope, double scatter) = Fit(values, t);
        double fittedRise = slope * (t[n - 1] - t[0]);
        double threshold = Math.Max(floor, 2 * scatter);
        if (Math.Abs(fittedRise) <= threshold && Math.Abs(change) <= threshold)
            return Trend.Stable;
        if (fittedRise < 0)
            return Trend.Shrinking;

        // Growing: compare the pace of the first and second halves (the middle point counts in both).
        int mid = (n - 1) / 2;
        int lateStart = n % 2 == 1 ? mid : mid + 1;
        double early = (values[mid] - values[0]) / Math.Max(t[mid] - t[0], double.Epsilon);
        double late = (values[n - 1] - values[lateStart]) / Math.Max(t[n - 1] - t[lateStart], double.Epsilon);
        return early > 0 && late < PlateauRatio * early ? Trend.Plateau : Trend.Leak;
    }

    /// <summary>Least-squares slope and the standard deviation of the residuals.</summary>
    internal static (double Slope, double Scatter) Fit(IReadOnlyList<double> values, double[] t)
    {
        int n = values.Count;
        double meanT = t.Average(), meanV = values.Average();
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++)
        {
            sxx += (t[i] - meanT) * (t[i] - meanT);
            sxy += (t[i] - meanT) * (values[i] - meanV);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double residuals = 0;
        for (int i = 0; i < n; i++)
        {
            double r = values[i] - (meanV + slope * (t[i] - meanT));
            residuals += r * r;
        }
        return (slope, n > 2 ? Math.Sqrt(residuals / (n - 2)) : 0);
    }
}
