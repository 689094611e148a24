using System.Globalization;
using System.Text;

namespace LeakExt.Commands.Rendering;

/// <summary>A line of a chart: its name and one value per snapshot.</summary>
public sealed record ChartSeries(string Name, long[] Values);

/// <summary>
/// An inline SVG line chart over real time: x is seconds since the first snapshot (uneven intervals
/// show as uneven), y starts at zero; both axes have a title, round ticks (1, 2 or 5 × a power of
/// ten, in a unit chosen for the range: s/min/h, B/KiB/MiB/GiB) and units. No script, no fonts from
/// the network; every point has a tooltip with the snapshot, its time and its value.
/// </summary>
public static class SvgChart
{
    public static readonly string[] Colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    private const int Width = 1000, Height = 300, Left = 84, Right = 20, Top = 14, Bottom = 52;

    /// <summary>
    /// Splits series so that none is flattened by another: sorted by their largest value, a series
    /// joins the current group while its largest value is at least 1/8 of the group's, else starts a
    /// new group (a chart of its own scale).
    /// </summary>
    public static List<List<ChartSeries>> ByScale(IEnumerable<ChartSeries> series)
    {
        var groups = new List<List<ChartSeries>>();
        foreach (ChartSeries s in series.Where(s => s.Values.Length > 0).OrderByDescending(s => s.Values.Max()))
        {
            long max = s.Values.Max();
            if (groups.Count > 0 && max * 8 >= groups[^1][0].Values.Max())
                groups[^1].Add(s);
            else
                groups.Add([s]);
        }
        return groups;
    }

    /// <param name="seconds">Each point's time since the first snapshot; when they do not increase, points are placed by snapshot number.</param>
    /// <param name="pointNames">Each point's tooltip prefix ("#3 (leak-3) 2026-11-21 12:00:05 UTC").</param>
    public static void Write(StringBuilder html, string id, string title, string quantity, bool bytes,
        IReadOnlyList<ChartSeries> series, double[] seconds, string[] pointNames)
    {
        bool byTime = seconds.Length > 1 && seconds.Zip(seconds.Skip(1)).All(p => p.Second > p.First);
        (double xUnit, string xUnitName) = byTime ? TimeUnit(seconds[^1]) : (1, "");
        double[] xs = byTime ? seconds.Select(s => s / xUnit).ToArray() : seconds.Select((_, i) => (double)(i + 1)).ToArray();
        double xMin = byTime ? 0 : 1, xMax = Math.Max(xs[^1], xMin + 1);
        double xStep = NiceStep(xMax - xMin, 8);
        if (!byTime)
            xStep = Math.Max(1, Math.Round(xStep));

        long max = Math.Max(1, series.Max(s => s.Values.Max()));
        (double yUnit, string yUnitName) = bytes ? ByteUnit(max) : (1, "");
        double yStep = NiceStep(max / yUnit, 5);
        double yMax = Math.Ceiling(max / yUnit / yStep) * yStep;

        double X(double x) => Left + (x - xMin) / (xMax - xMin) * (Width - Left - Right);
        double Y(double v) => Top + (1 - v / yUnit / yMax) * (Height - Top - Bottom);

        html.Append($"<figure class=\"chart-box\" id=\"{id}\"><figcaption>{Html(title)}</figcaption>\n");
        html.Append($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" role=\"img\" aria-label=\"{Html(title)}\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        html.Append($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"#fcfcfc\" stroke=\"#ccc\"/>\n");
        for (double v = 0; v <= yMax + yStep / 1000; v += yStep)
        {
            string y = F(Y(v * yUnit));
            html.Append($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e4e4e4\"/>");
            html.Append($"<text class=\"tick y-tick\" x=\"{Left - 6}\" y=\"{F(Y(v * yUnit) + 4)}\" text-anchor=\"end\">{Html(Tick(v, yStep) + (yUnitName.Length > 0 ? " " + yUnitName : ""))}</text>\n");
        }
        for (double x = xMin; x <= xMax + xStep / 1000; x += xStep)
        {
            string at = F(X(x));
            html.Append($"<line x1=\"{at}\" x2=\"{at}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#efefef\"/>");
            html.Append($"<text class=\"tick x-tick\" x=\"{at}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Html(Tick(x, xStep) + (byTime ? " " + xUnitName : ""))}</text>\n");
        }
        string xTitle = byTime ? $"time since the first snapshot ({xUnitName})" : "snapshot (times do not increase)";
        html.Append($"<text class=\"axis-title x-title\" x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Html(xTitle)}</text>\n");
        string yTitle = quantity + (yUnitName.Length > 0 ? $" ({yUnitName})" : "");
        html.Append($"<text class=\"axis-title y-title\" transform=\"translate(16 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Html(yTitle)}</text>\n");

        for (int s = 0; s < series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            long[] values = series[s].Values;
            string line = string.Join(" ", values.Select((v, i) => $"{F(X(xs[i]))},{F(Y(v))}"));
            html.Append($"<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" points=\"{line}\"/>\n");
            for (int i = 0; i < values.Length; i++)
                html.Append($"<circle cx=\"{F(X(xs[i]))}\" cy=\"{F(Y(values[i]))}\" r=\"3.5\" fill=\"{color}\"><title>{Html($"{series[s].Name} at {pointNames[i]}: {Amount(values[i], bytes)}")}</title></circle>");
            html.Append('\n');
        }
        html.Append("</svg>\n<div class=\"legend\">");
        for (int s = 0; s < series.Count; s++)
            html.Append($"<span><i style=\"background:{Colors[s % Colors.Length]}\"></i>{Html(series[s].Name)} ({Html(Amount(series[s].Values[^1], bytes))} at the last snapshot)</span>");
        html.Append("</div></figure>\n");
    }

    /// <summary>1, 2 or 5 times a power of ten, giving about <paramref name="ticks"/> steps over <paramref name="range"/>.</summary>
    public static double NiceStep(double range, int ticks)
    {
        if (range <= 0)
            return 1;
        double raw = range / ticks;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double normal = raw / magnitude;
        return (normal <= 1 ? 1 : normal <= 2 ? 2 : normal <= 5 ? 5 : 10) * magnitude;
    }

    /// <summary>The time unit for a span: seconds up to 2 minutes, minutes up to 2 hours, then hours.</summary>
    public static (double Seconds, string Name) TimeUnit(double spanSeconds) =>
        spanSeconds <= 120 ? (1, "s") : spanSeconds <= 7200 ? (60, "min") : (3600, "h");

    /// <summary>The binary unit the largest value reads in: B, KiB, MiB or GiB.</summary>
    public static (double Bytes, string Name) ByteUnit(long max) =>
        max >= 1L << 30 ? (1L << 30, "GiB") : max >= 1 << 20 ? (1 << 20, "MiB") : max >= 1 << 10 ? (1 << 10, "KiB") : (1, "B");

    private static string Tick(double value, double step) =>
        value.ToString(step >= 1 ? "0" : step >= 0.1 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    private static string Amount(long value, bool bytes) => bytes ? Format.Size(value) : Format.Number(value);

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Html(string text) => HtmlReport.E(text);
}
