using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Commands;

public sealed class SnapDiffOptions : CommandOptions
{
    public string? A { get; set; }
    public string? B { get; set; }
    public int Top { get; set; } = 20;
    public string? TypePattern { get; set; }
    public DiffSort Sort { get; set; } = DiffSort.Bytes;
    public bool ByHolder { get; set; }
}

/// <summary>!snapdiff: what grew between two snapshots, types ranked by growth.</summary>
[DeclaredCommand(30)]
public sealed class SnapDiffCommand : Command<SnapDiffOptions, SnapDiffResult>
{
    public const string CommandName = "snapdiff";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Shows what grew between two snapshots. By type: types ranked by growth, with Δcount, Δbytes and both sides, new and vanished types, and heap totals; by holder: which roots and owners gained how many objects of which types.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } =
    [
        new("A", "the earlier snapshot: #id, name or .leaksnap file (default: the second-to-last)", Optional: true),
        new("B", "the later snapshot (default: the last; with one snapshot, the current target)", Optional: true),
    ];

    protected override IReadOnlyList<OptionSpec<SnapDiffOptions>> Options { get; } =
    [
        new("top", "N", "rows to show (default 20; 0 = all)", (o, v) => o.Top = OptionValues.WholeNumber("snapdiff", "top", v)),
        new("type", "T", "only type T: its full name, the short name we print (List<Hyperlink>), or a glob (*Hyperlink*); A|B for either", (o, v) => o.TypePattern = v),
        new("by", "type|holder", "group by type (default) or by holder: root and owner path, collections folded",
            (o, v) => o.ByHolder = OptionValues.OneOf("snapdiff", "by", v, ("type", false), ("holder", true))),
        new("sort", "bytes|count", "rank by Δbytes (default) or Δcount",
            (o, v) => o.Sort = OptionValues.OneOf("snapdiff", "sort", v, ("bytes", DiffSort.Bytes), ("count", DiffSort.Count))),
    ];

    protected override string Notes => "Types are matched by full name and module, never by MethodTable, so snapshots of different processes compare.";

    protected override JsonTypeInfo<SnapDiffResult> JsonType => LeakJsonContext.Default.SnapDiffResult;

    protected override void BindArguments(SnapDiffOptions options, IReadOnlyList<string> positional)
    {
        if (positional.Count > 2)
            throw new LeakExtException($"snapdiff: expected at most two snapshots, got {positional.Count}; run 'snapdiff -h' for usage.");
        if (options.TypePattern is not null)
            TypePattern.Parse(options.TypePattern, Name);
        options.A = positional.Count > 0 ? positional[0] : null;
        options.B = positional.Count > 1 ? positional[1] : null;
    }

    protected override SnapDiffResult Run(SnapDiffOptions options, CommandContext context)
    {
        SnapshotStore store = context.Session.Snapshots;
        StoredSnapshot a, b;
        if (options.A is not null)
        {
            a = store.Resolve(options.A, context.CancellationToken);
            b = options.B is not null ? store.Resolve(options.B, context.CancellationToken) : store.All[^1].Id != a.Id ? store.All[^1] : Current(context);
        }
        else if (store.All.Count >= 2)
        {
            (a, b) = (store.All[^2], store.All[^1]);
        }
        else if (store.All.Count == 1)
        {
            (a, b) = (store.All[0], Current(context));
        }
        else
        {
            throw new LeakExtException("snapdiff: no snapshots yet; take one with 'snapshot' (or load files with 'snapshots -load FILE').");
        }

        TypeSelection? types = options.TypePattern is null ? null : TypeSelector.Select(Name, options.TypePattern, SnapshotDiffer.TypeNames(a, b));
        SnapshotDiff diff = SnapshotDiffer.Compare(a, b, options.Top, types, options.Sort);
        HolderDiff? byHolder = options.ByHolder ? HolderDiffer.Compare(a, b, options.Top, types, options.Sort) : null;
        return SnapDiffResult.From(a, b, diff, options.Sort, types, byHolder);
    }

    /// <summary>A snapshot of the target as it is now, for comparing against; not kept in the session.</summary>
    private static StoredSnapshot Current(CommandContext context)
    {
        ITargetProvider target = context.Session.Target
            ?? throw new LeakExtException("snapdiff: only one snapshot and no target to compare it with; take or load a second snapshot.");
        Snapshot now = target.Use(
            session => session.TakeSnapshot("current", HeapReaderKind.Fast, context.Output.Progress, context.CancellationToken),
            context.CancellationToken);
        return new StoredSnapshot(0, now, null);
    }

    protected override void RenderText(SnapDiffResult result, TextOutput output) => SnapDiffRenderer.Render(result, output);
}
