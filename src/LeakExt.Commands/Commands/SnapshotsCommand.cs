using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Commands;

public sealed class SnapshotsOptions : CommandOptions
{
    public string? LoadFile { get; set; }
    public string? Drop { get; set; }
}

/// <summary>!snapshots: lists the session's snapshots; loads one from a file or drops one.</summary>
[DeclaredCommand(20)]
public sealed class SnapshotsCommand : Command<SnapshotsOptions, SnapshotListResult>
{
    public const string CommandName = "snapshots";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Lists the snapshots of this session; -load adds one from a .leaksnap file, -drop removes one.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<OptionSpec<SnapshotsOptions>> Options { get; } =
    [
        new("load", "FILE", "load a .leaksnap file into the session", (o, v) => o.LoadFile = v),
        new("drop", "ID", "remove a snapshot (id, #id or name) from the session", (o, v) => o.Drop = v),
    ];

    protected override JsonTypeInfo<SnapshotListResult> JsonType => LeakJsonContext.Default.SnapshotListResult;

    protected override SnapshotListResult Run(SnapshotsOptions options, CommandContext context)
    {
        if (options.LoadFile is not null && options.Drop is not null)
            throw new LeakExtException("snapshots: use -load or -drop, not both.");
        SnapshotStore store = context.Session.Snapshots;
        SnapshotAction? action = null;
        if (options.LoadFile is { } file)
        {
            StoredSnapshot loaded = store.Load(file, context.CancellationToken);
            action = new SnapshotAction(SnapshotActionKind.Loaded, SnapshotRef.From(loaded), loaded.File);
        }
        else if (options.Drop is { } reference)
        {
            StoredSnapshot dropped = store.Drop(reference);
            action = new SnapshotAction(SnapshotActionKind.Dropped, SnapshotRef.From(dropped), dropped.File);
        }

        var rows = store.All.Select(s => new SnapshotListRow(SnapshotRef.From(s), s.File, s.Snapshot.Info.Source,
            s.Snapshot.Totals.LiveCount, s.Snapshot.Totals.LiveBytes, s.Snapshot.Types.Count(t => t.Count > 0))).ToArray();
        return new SnapshotListResult("snapshots", action, rows);
    }

    protected override void RenderText(SnapshotListResult result, TextOutput output) => SnapshotListRenderer.Render(result, output);
}
