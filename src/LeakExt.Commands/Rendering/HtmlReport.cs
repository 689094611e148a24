using System.Globalization;
using System.Net;
using System.Text;
using LeakExt.Commands.Framework;
using LeakExt.Core.Growth;
using LeakExt.Core.Heap;

namespace LeakExt.Commands.Rendering;

/// <summary>
/// !heapgrowth as one self-contained HTML file to send to a colleague: where the data came from, the
/// verdict in a box coloured by verdict with its evidence and pace per minute, charts over real time
/// (one per scale, so a small leak is not flattened under a large series), the suspect types and
/// holders linked to each other and to the command to run next, the snapshots. No script, nothing
/// from the network; laid out for 1400 px and for print.
/// </summary>
public static class HtmlReport
{
    private const string Style =
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1360px;padding:0 20px;color:#1d1d1d;line-height:1.4}" +
        "h1{font-size:24px;margin:0 0 6px}h2{font-size:18px;margin:30px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}" +
        "dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;color:#444;margin:8px 0 16px}dl.provenance dt{font-weight:600}dl.provenance dd{margin:0}" +
        ".verdict{padding:12px 16px;border-radius:6px;border-left:6px solid;margin:8px 0}.verdict .name{font-size:20px;font-weight:700;text-transform:uppercase;margin-right:8px}" +
        ".verdict p{margin:6px 0 0}.verdict-leak{background:#fdecea;border-color:#c62828}.verdict-plateau{background:#fff6e0;border-color:#ef8f00}" +
        ".verdict-none{background:#e9f6ec;border-color:#2e7d32}.verdict-native{background:#f1eafa;border-color:#6a3fb5}" +
        ".verdict-fragmentation,.verdict-finalizer-backlog{background:#fff6e0;border-color:#ef8f00}.verdict-insufficient{background:#f1f1f1;border-color:#888}" +
        ".rate{font-weight:600}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:14px}" +
        "figure.chart-box{margin:0;border:1px solid #e2e2e2;border-radius:6px;padding:8px 10px;break-inside:avoid}figcaption{font-weight:600;font-size:14px;margin-bottom:4px}" +
        "svg.chart .tick{font-size:12px;fill:#555}svg.chart .axis-title{font-size:13px;fill:#333}" +
        ".legend span{display:inline-block;margin-right:16px;font-size:12px}.legend i{display:inline-block;width:14px;height:4px;margin-right:5px;vertical-align:middle}" +
        "table{border-collapse:collapse;font-size:13px;width:100%}td,th{border:1px solid #d6d6d6;padding:4px 8px;text-align:right;vertical-align:top}" +
        "th{background:#f3f3f3}td.l,th.l{text-align:left}td.type{min-width:9em;overflow-wrap:anywhere}td.holder{overflow-wrap:anywhere}tr:target{background:#fff8c4}" +
        "code.next{display:block;white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:1px 4px;margin:1px 0;user-select:all}" +
        "footer{color:#777;font-size:12px;margin-top:30px}" +
        "@media print{body{margin:0;max-width:none;padding:0;font-size:11px}.charts{grid-template-columns:1fr 1fr}h2{break-after:avoid}" +
        "tr,figure{break-inside:avoid}a{color:inherit;text-decoration:none}code.next{background:none;padding:0}@page{size:A4 landscape;margin:12mm}}";

    private const long NoiseBytes = 64 << 10;

    public static string Render(HeapGrowthResult r)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<title>LeakExt heap growth: ").Append(E(r.Verdict.Name())).Append("</title>\n<style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>Heap growth over ").Append(r.Totals.Count).Append(" snapshots</h1>\n");
        Provenance(html, r);
        Verdict(html, r);
        Charts(html, r);
        if (r.Types.Count > 0)
        {
            html.Append("<h2 id=\"types\">Suspect types</h2>\n");
            SuspectTable(html, r, holders: false);
        }
        if (r.Suspects.Count > 0)
        {
            html.Append("<h2 id=\"holders\">Holders</h2>\n");
            SuspectTable(html, r, holders: true);
        }
        SeriesTable(html, r);
        SnapshotTable(html, r);
        html.Append("<footer>Made by LeakExt ").Append(E(r.Provenance.LeakExtVersion)).Append(" (heapgrowth). Rules and verdicts: docs/heapgrowth.md.</footer>\n</body></html>\n");
        return html.ToString();
    }

    private static void Provenance(StringBuilder html, HeapGrowthResult r)
    {
        GrowthProvenance p = r.Provenance;
        string source = p.Kind switch
        {
            ProvenanceKind.Dumps => $"{r.Totals.Count} dumps" + (p.ProcessId is int pid ? $" of process {pid}" : ""),
            ProvenanceKind.Process => $"live process {p.ProcessId}",
            _ => "dumps and live processes (mixed)",
        };
        DateTimeOffset first = r.Totals[0].Snapshot.Time, last = r.Totals[^1].Snapshot.Time;
        html.Append("<dl class=\"provenance\">")
            .Append("<dt>Data</dt><dd id=\"source\">").Append(E(source)).Append(": ").Append(E(string.Join(", ", r.Totals.Select(t => t.Source).Distinct()))).Append("</dd>")
            .Append("<dt>Runtime</dt><dd id=\"runtime\">.NET ").Append(E(p.RuntimeVersion)).Append("</dd>")
            .Append("<dt>Time</dt><dd>").Append(Utc(first)).Append(" … ").Append(Utc(last)).Append(" UTC (")
            .Append(E(GrowthRenderer.Duration(last - first))).Append(")</dd>")
            .Append("<dt>Analysed by</dt><dd id=\"leakext\">LeakExt ").Append(E(p.LeakExtVersion)).Append("</dd></dl>\n");
    }

    private static void Verdict(StringBuilder html, HeapGrowthResult r)
    {
        html.Append("<section id=\"verdict\" class=\"verdict verdict-").Append(E(r.Verdict.Name())).Append("\"><span class=\"name\">").Append(E(r.Verdict.Name()))
            .Append("</span>").Append(E(r.Reason)).Append('.');
        if (r.Evidence is { } e)
        {
            if (e.PerMinute is { } perMinute)
                html.Append("<p class=\"rate\">").Append(E(e.Title)).Append(": ").Append(E(Rate(perMinute, e.Unit))).Append(" per minute (")
                    .Append(E(Amount(e.First, e.Unit))).Append(" → ").Append(E(Amount(e.Last, e.Unit))).Append(")</p>");
            html.Append("<p>").Append(E(GrowthRenderer.EvidenceLine(e))).Append("<br>Rule: ").Append(E(e.Rule)).Append(".</p>");
        }
        if (r.Note is not null)
            html.Append("<p>").Append(E(r.Note)).Append("</p>");
        html.Append("</section>\n");
    }

    private static void Charts(StringBuilder html, HeapGrowthResult r)
    {
        double[] seconds = r.Totals.Select(t => (t.Snapshot.Time - r.Totals[0].Snapshot.Time).TotalSeconds).ToArray();
        string[] points = r.Totals.Select(t => $"{t.Snapshot.Label} {Utc(t.Snapshot.Time)} UTC").ToArray();
        html.Append("<h2>Over time</h2>\n<div class=\"charts\">\n");
        int chart = 0;
        // Series that never reach 64 KiB (the floor under which a type's change is noise) are left out of the byte charts.
        void Group(string title, string quantity, bool bytes, IEnumerable<ChartSeries> series)
        {
            List<List<ChartSeries>> groups = SvgChart.ByScale(bytes ? series.Where(s => s.Values.Max() >= NoiseBytes) : series);
            for (int g = 0; g < groups.Count; g++)
                SvgChart.Write(html, $"chart-{++chart}", g == 0 ? title : $"{title}, smaller scale{(groups.Count > 2 ? $" {g}" : "")}",
                    quantity, bytes, groups[g], seconds, points);
        }
        Group("Managed heap", "bytes", true,
        [
            new("live managed", r.Totals.Select(t => t.LiveBytes).ToArray()),
            new("dead, not yet collected", r.Totals.Select(t => t.DeadBytes).ToArray()),
            new("free in the GC heap", r.Totals.Select(t => t.FreeBytes).ToArray()),
        ]);
        var process = new List<ChartSeries> { new("GC memory", r.Totals.Select(t => t.GcMemoryBytes).ToArray()) };
        if (r.Totals.All(t => t.NonGcBytes is not null))
            process.Add(new("non-GC memory", r.Totals.Select(t => t.NonGcBytes!.Value).ToArray()));
        Group("Process memory", "bytes", true, process);
        if (r.Totals.Any(t => t.FinalizerQueueLength > 0))
            Group("Finalizer queue", "objects waiting", false, [new("finalizer queue", r.Totals.Select(t => t.FinalizerQueueLength).ToArray())]);
        if (r.Types.Count > 0)
            Group("Suspect types that change", "live bytes", true,
                r.Types.Where(t => t.Verdict != Trend.Stable).Take(SvgChart.Colors.Length).Select(t => new ChartSeries(FieldNames.Short(t.Type), t.Bytes)));
        html.Append("</div>\n");
    }

    /// <summary>Types and holders, each row an anchor: a type links to its holders, a holder to its type; both say what to run next.</summary>
    private static void SuspectTable(StringBuilder html, HeapGrowthResult r, bool holders)
    {
        IReadOnlyList<GrowthSuspectRow> rows = holders ? r.Suspects : r.Types;
        html.Append("<table class=\"").Append(holders ? "holders" : "types").Append("\"><tr><th class=\"l\">Verdict</th><th>Δ bytes</th><th>Δ objects</th><th>Per minute</th>")
            .Append("<th class=\"l\">Type</th>").Append(holders ? "<th class=\"l\">Holder</th>" : "<th class=\"l\">Holders</th>")
            .Append("<th class=\"l\">Live bytes per snapshot</th><th class=\"l\">Next</th></tr>\n");
        for (int i = 0; i < rows.Count; i++)
        {
            GrowthSuspectRow row = rows[i];
            html.Append("<tr id=\"").Append(holders ? "holder-" : "type-").Append(i).Append("\"><td class=\"l\">").Append(E(row.Verdict.Name())).Append("</td><td>")
                .Append(E(Format.Signed(row.DeltaBytes))).Append("</td><td>").Append(E(Format.Signed(row.DeltaCount))).Append("</td><td>")
                .Append(row.BytesPerMinute is { } pace ? E(Rate(pace, SeriesUnit.Bytes)) : "").Append("</td>");
            int typeRow = Index(r.Types, t => t.Type == row.Type && t.Module == row.Module);
            html.Append("<td class=\"l type\" title=\"").Append(E(row.Type)).Append("\">");
            if (holders && typeRow >= 0)
                html.Append("<a class=\"to-type\" href=\"#type-").Append(typeRow).Append("\">").Append(E(FieldNames.Short(row.Type))).Append("</a>");
            else
                html.Append(E(FieldNames.Short(row.Type)));
            html.Append("</td><td class=\"l holder\">");
            if (holders)
                html.Append(E(row.Holder ?? ""));
            else
                for (int h = 0; h < r.Suspects.Count; h++)
                    if (r.Suspects[h].Type == row.Type && r.Suspects[h].Module == row.Module)
                        html.Append("<a class=\"to-holder\" href=\"#holder-").Append(h).Append("\">").Append(E(Truncate(r.Suspects[h].Holder ?? "", 90))).Append("</a><br>");
            html.Append("</td><td class=\"l\">").Append(E(string.Join(" → ", row.Bytes.Select(Format.Size)))).Append("</td><td class=\"l\">")
                .Append("<code class=\"next\">backrefs -type ").Append(E(row.Type)).Append("</code>");
            if (row.Example is { } example)
                html.Append("<code class=\"next\" title=\"in the last snapshot's target\">rootpath ").Append(E(example)).Append("</code>");
            else
                html.Append("<code class=\"next\">retained -type ").Append(E(row.Type)).Append("</code>");
            html.Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        if (holders && rows.Any(x => x.Example is not null))
            html.Append("<p style=\"font-size:12px;color:#555\">Addresses are objects of the last snapshot: run rootpath on its dump or process (").Append(E(r.Totals[^1].Source)).Append(").</p>\n");
    }

    private static void SeriesTable(StringBuilder html, HeapGrowthResult r)
    {
        html.Append("<h2>Whole process</h2>\n<table class=\"series\"><tr><th class=\"l\">Series</th><th class=\"l\">Verdict</th><th class=\"l\">Confidence</th>")
            .Append("<th>First</th><th>Last</th><th>Per minute</th><th>Floor</th></tr>\n");
        foreach (GrowthSeriesRow s in r.Series)
            html.Append("<tr><td class=\"l\">").Append(E(s.Title)).Append("</td><td class=\"l\">").Append(E(s.Verdict.Name())).Append("</td><td class=\"l\">").Append(E(s.Confidence.Name()))
                .Append("</td><td>").Append(E(Amount(s.Values[0], s.Unit))).Append("</td><td>").Append(E(Amount(s.Values[^1], s.Unit))).Append("</td><td>")
                .Append(s.PerMinute is { } m ? E(Rate(m, s.Unit)) : "").Append("</td><td>").Append(E(Amount(s.Floor, s.Unit))).Append("</td></tr>\n");
        html.Append("</table>\n");
    }

    private static void SnapshotTable(StringBuilder html, HeapGrowthResult r)
    {
        html.Append("<h2>Snapshots</h2>\n<table class=\"snapshots\"><tr><th class=\"l\">Snapshot</th><th class=\"l\">Taken (UTC)</th><th class=\"l\">From</th><th>Live</th><th>Dead</th>")
            .Append("<th>Free</th><th>GC committed</th><th>GC memory</th><th>Non-GC</th><th>Finalizer queue</th><th>Handles</th></tr>\n");
        foreach (GrowthTotalsRow t in r.Totals)
            html.Append("<tr><td class=\"l\">").Append(E(t.Snapshot.Label)).Append("</td><td class=\"l\">").Append(Utc(t.Snapshot.Time)).Append("</td><td class=\"l\">")
                .Append(E(t.Source)).Append("</td><td>").Append(Format.Size(t.LiveBytes)).Append("</td><td>").Append(Format.Size(t.DeadBytes)).Append("</td><td>")
                .Append(Format.Size(t.FreeBytes)).Append("</td><td>").Append(Format.Size(t.GcCommittedBytes)).Append("</td><td>").Append(Format.Size(t.GcMemoryBytes))
                .Append("</td><td>").Append(t.NonGcBytes is { } n ? Format.Size(n) : "?").Append("</td><td>").Append(Format.Number(t.FinalizerQueueLength))
                .Append("</td><td>").Append(Format.Number(t.HandleCount)).Append("</td></tr>\n");
        html.Append("</table>\n");
    }

    private static int Index(IReadOnlyList<GrowthSuspectRow> rows, Func<GrowthSuspectRow, bool> match)
    {
        for (int i = 0; i < rows.Count; i++)
            if (match(rows[i]))
                return i;
        return -1;
    }

    private static string Rate(long perMinute, SeriesUnit unit) => (perMinute > 0 ? "+" : "") + Amount(perMinute, unit);

    private static string Amount(long value, SeriesUnit unit) => unit == SeriesUnit.Bytes ? Format.Size(value) : Format.Number(value);

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>HTML-encoded, after the terminal escaping (<see cref="TerminalText"/>): a bidi override or a control character in a name shows as \u202E, \e, not as reversed or hidden text.</summary>
    internal static string E(string text) => WebUtility.HtmlEncode(TerminalText.Escape(text));
}
