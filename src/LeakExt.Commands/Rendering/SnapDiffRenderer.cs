using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Rendering;

public static class SnapDiffRenderer
{
    public static void Render(SnapDiffResult r, TextOutput output)
    {
        TotalsDelta t = r.Totals;
        output.WriteLine($"Growth from {r.A} to {r.B}" + (r.TypePattern is null ? "" : $", types matching '{r.TypePattern}'") + ":");
        var totals = new TextTable(("", false), ("A", true), ("B", true), ("Δ", true));
        totals.Add("Live objects", Format.Number(t.LiveCountA), Format.Number(t.LiveCountB), Format.Signed(t.LiveCountB - t.LiveCountA));
        totals.Add("Live bytes", Format.Number(t.LiveBytesA), Format.Number(t.LiveBytesB), Format.Signed(t.LiveBytesB - t.LiveBytesA));
        totals.Add("Dead bytes", Format.Number(t.DeadBytesA), Format.Number(t.DeadBytesB), Format.Signed(t.DeadBytesB - t.DeadBytesA));
        totals.Add("Free bytes", Format.Number(t.FreeBytesA), Format.Number(t.FreeBytesB), Format.Signed(t.FreeBytesB - t.FreeBytesA));
        totals.Add("GC committed", Format.Number(t.CommittedBytesA), Format.Number(t.CommittedBytesB), Format.Signed(t.CommittedBytesB - t.CommittedBytesA));
        totals.Add("Finalizer queue", Format.Number(t.FinalizerQueueA), Format.Number(t.FinalizerQueueB), Format.Signed(t.FinalizerQueueB - t.FinalizerQueueA));
        totals.WriteTo(output);
        output.WriteLine();

        if (r.By == "holder")
        {
            RenderHolders(r, output);
            return;
        }
        if (r.Rows.Count == 0)
        {
            output.WriteLine("No type changed its live count or bytes.");
            return;
        }
        string shown = r.Rows.Count < r.ChangedTypes ? $"Top {r.Rows.Count} of {Format.Number(r.ChangedTypes)}" : $"All {Format.Number(r.ChangedTypes)}";
        output.WriteLine($"{shown} changed types by Δ{(r.Sort == "count" ? "count" : "bytes")} ({r.NewTypes} new, {r.VanishedTypes} vanished):");
        var table = new TextTable(("ΔCount", true), ("ΔBytes", true), ("Count A", true), ("Count B", true), ("Bytes A", true), ("Bytes B", true), ("", false), ("Type", false));
        foreach (DiffRow row in r.Rows)
            table.Add(Format.Signed(row.DeltaCount), Format.Signed(row.DeltaBytes), Format.Number(row.CountA), Format.Number(row.CountB),
                Format.Number(row.BytesA), Format.Number(row.BytesB), row.Change is "new" or "vanished" ? row.Change : "",
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
        string shown = r.Holders.Count < r.ChangedHolders ? $"Top {r.Holders.Count} of {Format.Number(r.ChangedHolders)}" : $"All {Format.Number(r.ChangedHolders)}";
        output.WriteLine($"{shown} changed holders by Δ{(r.Sort == "count" ? "count" : "bytes")}:");
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
