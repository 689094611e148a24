using System.Text;

namespace LeakExt.Bench;

/// <summary>The benchmark's tables in Markdown (artifacts/bench/results.md), from the same figures as results.json.</summary>
internal static class Report
{
    public static string Markdown(BenchResults r)
    {
        var text = new StringBuilder();
        text.AppendLine($"{r.Machine.Date}, {r.Machine.Cores} cores, {r.Machine.Runtime}, dotnet-dump {r.Machine.DotnetDump ?? "absent"}, leakext {r.Machine.LeakextBuild}; " +
                        $"load average {r.Machine.LoadBefore:0.0} before, {r.Machine.LoadAfter:0.0} after ({(Math.Max(r.Machine.LoadBefore, r.Machine.LoadAfter) < 1.0 ? "an idle machine" : "the machine was shared")}).");
        text.AppendLine($"Heap: BigHeap scale {r.Heap.Scale}, {r.Heap.Objects:N0} objects ({r.Heap.Live:N0} live), dump {r.Heap.DumpBytes / (1 << 20):N0} MiB; " +
                        $"path queries ask about 0x{r.Heap.PathTarget}. Whole processes, interleaved, medians of {r.WholeProcess.FirstOrDefault()?.Runs ?? 0}.");
        text.AppendLine();
        Table(text, "| command, whole process | median | min–max | peak private | per object | peak RSS |", "|---|---:|---:|---:|---:|---:|", r.WholeProcess.Select(row =>
            $"| {row.Name} | {Seconds(row.Seconds)} | {Seconds(row.MinSeconds)}–{Seconds(row.MaxSeconds)} | {MiB(row.PeakPrivate)} | {row.PrivatePerObject:0.0} B | {MiB(row.PeakRss)} |"));
        text.AppendLine();
        foreach ((string key, double ratio) in r.Ratios)
        {
            string byRun = r.RunRatios.TryGetValue(key, out IReadOnlyList<double>? runs) && runs.Count > 1
                ? $" (run by run: {string.Join(", ", runs.Select(x => $"{x:0.0}×"))}; their median {Suites.Median(runs):0.0}×)"
                : "";
            text.AppendLine($"* {RatioLabel(key)}: **{ratio:0.0}×**{byRun}");
        }
        text.AppendLine();

        PhaseBreakdown p = r.Phases;
        text.AppendLine($"Inside one process (medians): opening the dump {Seconds(p.Open)}, the snapshot {Seconds(p.Snapshot)} with " +
                        $"{MiB(p.SnapshotExtraPrivate)} of extra private memory ({p.ExtraPrivatePerObject:0.0} B per object):");
        text.AppendLine();
        Table(text, "| snapshot phase | wall | CPU |", "|---|---:|---:|", p.SnapshotPhases.Select(phase =>
            $"| {phase.Phase} | {Seconds(phase.Seconds)} | {Seconds(phase.CpuSeconds)} |"));
        if (p.Retention.Count > 0)
        {
            text.AppendLine();
            Table(text, "| after the snapshot, same process | median |", "|---|---:|", p.Retention.Select(query =>
                $"| {query.Key} | {Seconds(query.Value)} |"));
        }

        if (r.Interrupts.Count > 0)
        {
            text.AppendLine();
            int cancelled = r.Interrupts.Count(i => i.ExitCode == 130);
            text.AppendLine($"Ctrl-C (SIGINT) during each command: the process ended at most **{Seconds(r.Interrupts.Max(i => i.Latency ?? 0))}** later; " +
                            $"{cancelled} of {r.Interrupts.Count} runs ended as cancelled (exit code 130), the others had finished first.");
            text.AppendLine();
            Table(text, "| command | SIGINT at | ended after | exit code |", "|---|---:|---:|---:|", r.Interrupts.Select(row =>
                $"| {row.Command} | {Seconds(row.After)} | {(row.Latency is { } latency ? Seconds(latency) : "finished first")} | {row.ExitCode} |"));
        }

        if (r.Shapes.Count > 0)
        {
            text.AppendLine();
            Table(text, "| shape | objects | snapshot | ns per object | plain heap, same runs | vs plain | dotnet-dump dumpheap -stat, same dump | peak private | per object | plain, same runs | vs plain | queries, whole process | load |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|", r.Shapes.Select(row =>
                $"| {row.Shape} | {row.Objects:N0} | {Seconds(row.SnapshotSeconds)} | {row.NanosecondsPerObject:0} | {row.PlainNanosecondsPerObject:0} | " +
                $"{row.VersusPlain:0.00}× | {(row.DumpheapStatSeconds is { } sos ? $"{Seconds(sos)} ({sos / row.SnapshotSeconds:0.0}× our snapshot)" : "not run")} | " +
                $"{MiB(row.PeakPrivate)} | {row.PrivatePerObject:0.0} B | {row.PlainPrivatePerObject:0.0} B | {row.MemoryVersusPlain:0.00}× | " +
                string.Join(", ", row.Queries.Select(q => $"{q.Key} {Seconds(q.Value.Seconds)}, {MiB(q.Value.PeakPrivate)}")) + $" | {row.Load:0.0} |"));
        }

        if (r.Curve.Count > 1)
        {
            text.AppendLine();
            Table(text, "| scale | objects | snapshot, whole process | ns per object | peak private | per object | peak RSS | load |", "|---:|---:|---:|---:|---:|---:|---:|---:|", r.Curve.Select(row =>
                $"| {row.Scale} | {row.Objects:N0} | {Seconds(row.SnapshotSeconds)} | {row.NanosecondsPerObject:0} | {MiB(row.PeakPrivate)} | {row.PrivatePerObject:0.0} B | {MiB(row.PeakRss)} | {row.Load:0.0} |"));
        }

        if (r.Notes.Count > 0)
        {
            text.AppendLine();
            foreach (string note in r.Notes)
                text.AppendLine($"Note: {note}.");
        }
        return text.ToString();
    }

    /// <summary>A Markdown table: its header, the alignment row, then one line per row.</summary>
    private static void Table(StringBuilder text, string header, string alignment, IEnumerable<string> rows)
    {
        text.AppendLine(header);
        text.AppendLine(alignment);
        foreach (string row in rows)
            text.AppendLine(row);
    }

    private static string RatioLabel(string key) => key switch
    {
        "dumpheapStatLiveOverSnapshot" => "leakext snapshot (with holders) vs dotnet-dump `dumpheap -stat -live`",
        "dumpheapStatOverSnapshot" => "leakext snapshot (with holders) vs dotnet-dump `dumpheap -stat` (no liveness)",
        "naiveOverSnapshot" => "leakext snapshot vs the naive ClrMD baseline",
        "gcrootOverRootpath" => "leakext rootpath vs dotnet-dump `gcroot`",
        "dumpheapStatLiveOverToolPackageSnapshot" => "the tool package's leakext snapshot (ReadyToRun, through dotnet) vs dotnet-dump `dumpheap -stat -live`",
        "dumpheapStatOverToolPackageSnapshot" => "the tool package's leakext snapshot vs dotnet-dump `dumpheap -stat`",
        _ => key,
    };

    private static string Seconds(double seconds) =>
        double.IsNaN(seconds) ? "—" : seconds < 1 ? $"{seconds * 1000:0} ms" : $"{seconds:0.00} s";

    private static string MiB(long bytes) => $"{bytes / (double)(1 << 20):N0} MiB";
}
