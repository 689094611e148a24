using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Rendering;

public static class SnapDiffRenderer
{
    public static void Render(SnapDiffResult r, TextOutput output)
    {
        DiffTotals t = r.Totals;
        MatchedTypesLine.Write(output, r.TypeFilter, r.MatchedTypes);
        output.WriteLine($"Growth from {r.A.Label} to {r.B.Label}" + (r.TypeFilter is null ? "" : $", types matching '{r.TypeFilter}'") + ":");
        var totals = new TextTable(("", false), ("A", true), ("B", true), ("Δ", true));
        totals.Add("Live objects", Format.Number(t.LiveCountA), Format.Number(t.LiveCountB), Format.Signed(t.LiveCountB - t.LiveCountA));
        totals.Add("Live bytes", Format.Number(t.LiveBytesA), Format.Number(t.LiveBytesB), Format.Signed(t.LiveBytesB - t.LiveBytesA));
        totals.Add("Dead bytes", Format.Number(t.DeadBytesA), Format.Number(t.DeadBytesB), Format.Signed(t.DeadBytesB - t.DeadBytesA));
        totals.Add("Free bytes", Format.Number(t.FreeBytesA), Format.Number(t.FreeBytesB), Format.Signed(t.FreeBytesB - t.FreeBytesA));
        totals.Add("GC committed", Format.Number(t.GcCommittedBytesA), Format.Number(t.GcCommittedBytesB), Format.Signed(t.GcCommittedBytesB - t.GcCommittedBytesA));
        totals.Add("Finalizer queue", Format.Number(t.FinalizerQueueLengthA), Format.Number(t.FinalizerQueueLengthB), Format.Signed(t.FinalizerQueueLengthB - t.FinalizerQueueLengthA));
        totals.WriteTo(output);
        output.WriteLine();

        if (r.By == DiffGrouping.Holder)
        {
            RenderHolders(r, output);
            return;
        }
        if (r.Rows.Count == 0)
        {
            output.WriteLine("No type changed its live count or bytes.");
            return;
        }
        string shown = r.Rows.Count < r.ChangedTypeCount ? $"Top {r.Rows.Count} of {Format.Number(r.ChangedTypeCount)}" : $"All {Format.Number(r.ChangedTypeCount)}";
        output.WriteLine($"{shown} changed types by Δ{r.Sort.Name()} ({r.NewTypeCount} new, {r.VanishedTypeCount} vanished):");
        var table = new TextTable(("ΔCount", true), ("ΔBytes", true), ("Count A", true), ("Count B", true), ("Bytes A", true), ("Bytes B", true), ("", false), ("Type", false));
        foreach (DiffRow row in r.Rows)
            table.Add(Format.Signed(row.DeltaCount), Format.Signed(row.DeltaBytes), Format.Number(row.CountA), Format.Number(row.CountB),
                Format.Number(row.BytesA), Format.Number(row.BytesB), row.Change is ChangeKind.New or ChangeKind.Vanished ? row.Change.Name() : "",
                SnapshotRenderer.TypeLabel(row.Type, row.Module));
        table.WriteTo(output);
    }

    private static void RenderHolders(SnapDiffResult r, TextOutput output)
    {
        if (r.Holders.Count == 0)
        {
            output.WriteLine("No holder gained or lost objects.");
            return;
        }
        string shown = r.Holders.Count < r.ChangedHolderCount ? $"Top {r.Holders.Count} of {Format.Number(r.ChangedHolderCount)}" : $"All {Format.Number(r.ChangedHolderCount)}";
        output.WriteLine($"{shown} changed holders by Δ{r.Sort.Name()}:");
        foreach (HolderDiffRow holder in r.Holders)
        {
            output.WriteLine();
            output.WriteLine($"{Format.Signed(holder.DeltaCount)} objects, {Format.Signed(holder.DeltaBytes)} bytes  {holder.Holder}");
            var table = new TextTable(("  ΔCount", true), ("ΔBytes", true), ("Count A", true), ("Count B", true), ("Example", false), ("Type", false));
            foreach (HolderTypeRow row in holder.Types)
                table.Add(Format.Signed(row.DeltaCount), Format.Signed(row.DeltaBytes), Format.Number(row.CountA), Format.Number(row.CountB),
                    row.Example, SnapshotRenderer.TypeLabel(row.Type, row.Module));
            table.WriteTo(output);
        }
    }
}
