using System.Globalization;
using System.Net;
using System.Text;
using LeakExt.Commands.Framework;
using LeakExt.Core.Growth;

namespace LeakExt.Commands.Rendering;

/// <summary>
/// !heapgrowth as one self-contained HTML file: inline SVG line charts (totals over time, the top
/// suspects' series), tables of totals, suspects and holders. No scripts, nothing from the network.
/// </summary>
public static class HtmlReport
{
    private static readonly string[] Colors = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    public static string Render(HeapGrowthResult r)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>LeakExt heap growth: ").Append(E(r.Verdict)).Append("</title>\n");
        html.Append("<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{font-size:17px;margin-top:28px}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}")
            .Append("td.l,th.l{text-align:left}.verdict{font-size:18px;padding:10px 14px;border-radius:6px;background:#fdecea;display:inline-block}")
            .Append(".chart{margin:8px 0 4px}.legend span{display:inline-block;margin-right:16px;font-size:12px}.legend i{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}")
            .Append("</style></head><body>\n");
        html.Append("<h1>Heap growth over ").Append(r.Totals.Count).Append(" snapshots</h1>\n");
        html.Append("<div class=\"verdict\"><b>").Append(E(r.Verdict)).Append("</b> — ").Append(E(r.Reason)).Append("</div>\n");
        if (r.Evidence is { } evidence)
            html.Append("<p>").Append(E(GrowthRenderer.EvidenceLine(evidence))).Append("<br>Rule: ").Append(E(evidence.Rule)).Append(".</p>\n");
        if (r.Note is not null)
            html.Append("<p>").Append(E(r.Note)).Append("</p>\n");

        html.Append("<h2>Totals over time</h2>\n");
        var totalSeries = new List<(string, long[])>
        {
            ("live managed", r.Totals.Select(t => t.LiveBytes).ToArray()),
            ("dead (not yet collected)", r.Totals.Select(t => t.DeadBytes).ToArray()),
            ("free in GC heap", r.Totals.Select(t => t.FreeBytes).ToArray()),
            ("GC committed", r.Totals.Select(t => t.GcCommittedBytes).ToArray()),
        };
        if (r.Totals.All(t => t.NonGcBytes is not null))
            totalSeries.Add(("non-GC memory", r.Totals.Select(t => t.NonGcBytes!.Value).ToArray()));
        Chart(html, "totals", totalSeries, bytes: true);

        if (r.Types.Count > 0)
        {
            html.Append("<h2>Top suspect types</h2>\n");
            Chart(html, "suspects", r.Types.Take(Colors.Length).Select(t => (t.Type + " (" + t.Verdict + ")", t.Bytes)).ToList(), bytes: true);
            SuspectTable(html, r.Types, holders: false);
        }
        if (r.Suspects.Count > 0)
        {
            html.Append("<h2>Holders</h2>\n");
            SuspectTable(html, r.Suspects, holders: true);
        }

        html.Append("<h2>Snapshots</h2>\n<table><tr><th class=\"l\">Snapshot</th><th class=\"l\">Taken (UTC)</th><th>Live</th><th>Dead</th><th>Free</th><th>GC committed</th><th>Non-GC</th><th>Finalizer queue</th><th>Handles</th></tr>\n");
        foreach (GrowthTotals t in r.Totals)
            html.Append("<tr><td class=\"l\">").Append(E(t.Snapshot)).Append("</td><td class=\"l\">").Append(t.TakenAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(Format.Size(t.LiveBytes)).Append("</td><td>").Append(Format.Size(t.DeadBytes)).Append("</td><td>").Append(Format.Size(t.FreeBytes))
                .Append("</td><td>").Append(Format.Size(t.GcCommittedBytes)).Append("</td><td>").Append(t.NonGcBytes is { } n ? Format.Size(n) : "?")
                .Append("</td><td>").Append(Format.Number(t.FinalizerQueueLength)).Append("</td><td>").Append(Format.Number(t.HandleCount)).Append("</td></tr>\n");
        html.Append("</table>\n<p style=\"color:#777;font-size:12px\">Made by LeakExt !heapgrowth.</p>\n</body></html>\n");
        return html.ToString();
    }

    private static void SuspectTable(StringBuilder html, IReadOnlyList<GrowthSuspectRow> rows, bool holders)
    {
        html.Append("<table><tr><th class=\"l\">Verdict</th><th>ΔBytes</th><th>ΔCount</th><th class=\"l\">Type</th>")
            .Append(holders ? "<th class=\"l\">Holder</th>" : "").Append("<th class=\"l\">Bytes per snapshot</th></tr>\n");
        foreach (GrowthSuspectRow row in rows)
        {
            html.Append("<tr><td class=\"l\">").Append(E(row.Verdict)).Append("</td><td>").Append(Format.Signed(row.GrowthBytes)).Append("</td><td>")
                .Append(Format.Signed(row.GrowthCount)).Append("</td><td class=\"l\">").Append(E(row.Type)).Append("</td>");
            if (holders)
                html.Append("<td class=\"l\">").Append(E(row.Holder ?? "")).Append("</td>");
            html.Append("<td class=\"l\">").Append(E(string.Join(" → ", row.Bytes.Select(Format.Size)))).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>An SVG line chart: one polyline per series over the snapshot index, y from zero to the maximum.</summary>
    private static void Chart(StringBuilder html, string id, List<(string Name, long[] Values)> series, bool bytes)
    {
        const int width = 760, height = 240, left = 70, right = 16, top = 12, bottom = 28;
        int points = series.Max(s => s.Values.Length);
        double max = Math.Max(1, series.Max(s => s.Values.Max()));
        double X(int i) => left + (points == 1 ? 0 : (double)i / (points - 1) * (width - left - right));
        double Y(double v) => top + (1 - v / max) * (height - top - bottom);
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        html.Append($"<svg class=\"chart\" id=\"{id}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        html.Append($"<rect x=\"{left}\" y=\"{top}\" width=\"{width - left - right}\" height=\"{height - top - bottom}\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n");
        for (int g = 0; g <= 4; g++)
        {
            double value = max * g / 4;
            html.Append($"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{F(Y(value))}\" y2=\"{F(Y(value))}\" stroke=\"#e6e6e6\"/>");
            html.Append($"<text x=\"{left - 6}\" y=\"{F(Y(value) + 4)}\" font-size=\"10\" text-anchor=\"end\" fill=\"#666\">{E(bytes ? Format.Size((long)value) : Format.Number((long)value))}</text>\n");
        }
        for (int i = 0; i < points; i++)
            html.Append($"<text x=\"{F(X(i))}\" y=\"{height - 10}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">#{i + 1}</text>");
        html.Append('\n');
        for (int s = 0; s < series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            string line = string.Join(" ", series[s].Values.Select((v, i) => $"{F(X(i))},{F(Y(v))}"));
            html.Append($"<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"3\" points=\"{line}\"/>\n");
            foreach ((long v, int i) in series[s].Values.Select((v, i) => (v, i)))
                html.Append($"<circle cx=\"{F(X(i))}\" cy=\"{F(Y(v))}\" r=\"3.5\" fill=\"{color}\"/>");
            html.Append('\n');
        }
        html.Append("</svg>\n<div class=\"legend\">");
        for (int s = 0; s < series.Count; s++)
            html.Append($"<span><i style=\"background:{Colors[s % Colors.Length]}\"></i>{E(series[s].Name)}</span>");
        html.Append("</div>\n");
    }

    /// <summary>HTML-encoded, after the terminal escaping (<see cref="TerminalText"/>): a bidi override or a control character in a name shows as \u202E, \e, not as reversed or hidden text.</summary>
    private static string E(string text) => WebUtility.HtmlEncode(TerminalText.Escape(text));
}
