using System.Globalization;
using LeakExt.Commands.Framework;

namespace LeakExt.Commands.Rendering;

public static class SnapshotListRenderer
{
    public static void Render(SnapshotListResult r, TextOutput output)
    {
        if (r.Action is { } action)
            output.WriteLine($"{(action.Kind == SnapshotActionKind.Loaded ? "Loaded" : "Dropped")} {action.Snapshot.Label}"
                             + (action.Kind == SnapshotActionKind.Loaded ? $" from {action.File}" : ""));
        if (r.Snapshots.Count == 0)
        {
            output.WriteLine("No snapshots in this session; take one with 'snapshot' or load one with 'snapshots -load FILE'.");
            return;
        }
        var table = new TextTable(("Id", true), ("Name", false), ("Taken (UTC)", false), ("Live objects", true), ("Live bytes", true), ("Types", true), ("Source", false), ("File", false));
        foreach (SnapshotListRow row in r.Snapshots)
            table.Add("#" + row.Snapshot.Index, row.Snapshot.Name ?? "", row.Snapshot.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                Format.Number(row.LiveCount), Format.Number(row.LiveBytes), Format.Number(row.TypeCount), row.Source, row.File ?? "");
        table.WriteTo(output);
    }
}
