using LeakExt.Commands.Framework;
using LeakExt.Core.Growth;
using LeakExt.Core.Heap;

namespace LeakExt.Commands.Rendering;

public static class GrowthRenderer
{
    public static void Render(HeapGrowthResult r, TextOutput output)
    {
        GrowthTotalsRow first = r.Totals[0], last = r.Totals[^1];
        TimeSpan span = last.Snapshot.Time - first.Snapshot.Time;
        output.WriteLine($"Heap growth over {r.Totals.Count} snapshots, {first.Snapshot.Label} … {last.Snapshot.Label}" +
                         (span > TimeSpan.Zero ? $", {Duration(span)}" : "") + ":");
        output.WriteLine($"Verdict: {r.Verdict.Name()} — {r.Reason}.");
        if (r.Evidence is { } e)
        {
            output.WriteLine(EvidenceLine(e));
            output.WriteLine($"Rule: {e.Rule}.");
        }
        if (r.Note is not null)
            output.WriteLine(r.Note);
        if (r.HtmlFile is not null)
            output.WriteLine($"HTML report: {r.HtmlFile}");
        output.WriteLine();

        var totals = new TextTable(("Snapshot", false), ("Live", true), ("Gen0", true), ("Gen1", true), ("Gen2", true), ("LOH", true), ("POH", true),
            ("Dead", true), ("Free", true), ("GC committed", true), ("GC memory", true), ("Non-GC", true), ("Finalizer queue", true), ("Handles", true));
        foreach (GrowthTotalsRow t in r.Totals)
            totals.Add(t.Snapshot.Label, Format.Size(t.LiveBytes), Gen(t, "gen0"), Gen(t, "gen1"), Gen(t, "gen2"), Gen(t, "loh"), Gen(t, "poh"),
                Format.Size(t.DeadBytes), Format.Size(t.FreeBytes), Format.Size(t.GcCommittedBytes), Format.Size(t.GcMemoryBytes),
                t.NonGcBytes is { } nonGc ? Format.Size(nonGc) : "?", Format.Number(t.FinalizerQueueLength), Format.Number(t.HandleCount));
        totals.WriteTo(output);
        output.WriteLine();

        output.WriteLine("Whole process:");
        var series = new TextTable(("  Series", false), ("Verdict", false), ("Confidence", false), ("Trend", false), ("First", true), ("Last", true),
            ("Per snapshot", true), ("Floor", true));
        foreach (GrowthSeriesRow s in r.Series)
            series.Add("  " + s.Title, s.Verdict.Name(), Confidence(s.Confidence, s.MoreSnapshots), Sparkline.Render(s.Values.Select(v => (double)v).ToArray()),
                Amount(s.Values[0], s.Unit), Amount(s.Values[^1], s.Unit), Signed(s.PerSnapshot, s.Unit), Amount(s.Floor, s.Unit));
        series.WriteTo(output);

        if (r.Types.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Suspect types, by growth in bytes:");
            SuspectTable(r.Types, holders: false).WriteTo(output);
        }
        if (r.Suspects.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Suspects by holder:");
            SuspectTable(r.Suspects, holders: true).WriteTo(output);
        }
    }

    private static TextTable SuspectTable(IReadOnlyList<GrowthSuspectRow> rows, bool holders)
    {
        var table = holders
            ? new TextTable(("  Verdict", false), ("ΔBytes", true), ("ΔCount", true), ("Trend", false), ("Type", false), ("Holder", false))
            : new TextTable(("  Verdict", false), ("ΔBytes", true), ("ΔCount", true), ("Trend", false), ("Type", false));
        foreach (GrowthSuspectRow row in rows)
        {
            string trend = Sparkline.Render(row.Bytes.Select(b => (double)b).ToArray());
            if (holders)
                table.Add("  " + row.Verdict.Name(), Format.Signed(row.DeltaBytes), Format.Signed(row.DeltaCount), trend, FieldNames.Short(row.Type), row.Holder ?? "");
            else
                table.Add("  " + row.Verdict.Name(), Format.Signed(row.DeltaBytes), Format.Signed(row.DeltaCount), trend, SnapshotRenderer.TypeLabel(row.Type, row.Module));
        }
        return table;
    }

    /// <summary>What decided the verdict, in one line (also in the HTML report).</summary>
    internal static string EvidenceLine(GrowthEvidenceRow e) =>
        $"Evidence: {e.Title}, {Amount(e.First, e.Unit)} → {Amount(e.Last, e.Unit)}; {Pace(e.PerSnapshot, e.PerMinute, e.Unit)}; confidence {Confidence(e.Confidence, e.MoreSnapshots)}" +
        (e.LevelsOffAt is { } level ? $"; levels off at {Amount(level, e.Unit)} from {e.LevelsOffFrom?.Label}" : "") +
        (e.ExplainedFraction is { } share ? $"; {share * 100:0}% of it in {e.ExplainedBy}" : "") + ".";

    private static string Amount(long value, SeriesUnit unit) => unit == SeriesUnit.Bytes ? Format.Size(value) : Format.Number(value);

    private static string Signed(double value, SeriesUnit unit) => (value > 0 ? "+" : "") + Amount((long)Math.Round(value), unit);

    private static string Pace(double perSnapshot, double? perMinute, SeriesUnit unit) =>
        $"{Signed(perSnapshot, unit)} per snapshot" + (perMinute is { } m ? $", {Signed(m, unit)} per minute" : "");

    private static string Confidence(Confidence confidence, int? more) =>
        more is int n ? $"{confidence.Name()}, needs {n} more snapshot{(n == 1 ? "" : "s")} to tell" : confidence.Name();

    private static string Gen(GrowthTotalsRow t, string generation) =>
        t.LiveBytesByGeneration.TryGetValue(generation, out long bytes) ? Format.Size(bytes) : "";

    internal static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";
}
