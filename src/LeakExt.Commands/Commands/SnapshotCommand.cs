using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Commands;

public sealed class SnapshotOptions : CommandOptions
{
    public string? Name { get; set; }
    public string? SaveFile { get; set; }
    /// <summary>Types to list; null = 20 in text, all in JSON.</summary>
    public int? Top { get; set; }
    public HeapReaderKind Reader { get; set; } = HeapReaderKind.Fast;
    public bool Force { get; set; }
}

/// <summary>!snapshot: marks the live objects and records the type histogram, totals and roots.</summary>
[DeclaredCommand(10)]
public sealed class SnapshotCommand : Command<SnapshotOptions, SnapshotResult>
{
    public const string CommandName = "snapshot";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Records the LIVE objects per type and generation. It marks what strong roots reach, and adds heap totals, dead and free bytes, root counts and the finalizer queue; stored in the session as #1, #2, …";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<OptionSpec<SnapshotOptions>> Options { get; } =
    [
        new("name", "N", "a name to refer to this snapshot by (e.g. in snapdiff)", (o, v) => o.Name = v),
        new("save", "FILE", "also write it to a .leaksnap file", (o, v) => o.SaveFile = v),
        new("top", "N", "types to list, by live bytes (default: 20 in text, all with -json; 0 = all)", (o, v) => o.Top = OptionValues.WholeNumber("snapshot", "top", v)),
        new("reader", "fast|clrmd", "heap reader: fast block reader (default) or ClrMD's per-object API (slower; a cross-check)",
            (o, v) => o.Reader = OptionValues.OneOf("snapshot", "reader", v, ("fast", HeapReaderKind.Fast), ("clrmd", HeapReaderKind.ClrMd))),
        OutputFileOption.Force<SnapshotOptions>(o => o.Force = true),
    ];

    protected override string Notes => "Weak handles do not keep objects alive; a dependent handle's secondary is live only if its primary is.\nFrozen (non-GC heap) objects are never collected and count as live.\nThread-static fields are roots, one per thread: what a [ThreadStatic] cache holds is live.";

    protected override JsonTypeInfo<SnapshotResult> JsonType => LeakJsonContext.Default.SnapshotResult;

    protected override SnapshotResult Run(SnapshotOptions options, CommandContext context)
    {
        SnapshotStore store = context.Session.Snapshots;
        if (options.Name is { } name)
        {
            if (name.StartsWith('#') || int.TryParse(name, out _))
                throw new LeakExtException($"snapshot: -name '{name}' looks like an id; pick a name that is not a number.");
            if (store.All.FirstOrDefault(s => s.Snapshot.Info.Name == name) is { } clash)
                throw new LeakExtException($"snapshot: {clash.Label} already has the name '{name}'; pick another or drop it with 'snapshots -drop {clash.Id}'.");
        }

        OutputOptions rules = OutputFileOption.Rules(options.Force);
        if (options.SaveFile is { } target0)
            OutputFile.CheckTarget(target0, rules);   // refused before the walk, not after it

        ITargetProvider target = context.Session.RequireTarget("snapshot");
        Snapshot snapshot = target.Use(
            session => session.TakeSnapshot(options.Name, options.Reader, context.Output.Progress, context.CancellationToken),
            context.CancellationToken);
        string? saved = options.SaveFile is { } file ? SnapshotFile.Write(snapshot, file, rules, context.CancellationToken) : null;
        StoredSnapshot stored = store.Add(snapshot, saved);
        return SnapshotResult.From(stored, options.Top ?? (options.Json ? 0 : 20), withDeadOnly: options.Json);
    }

    protected override void RenderText(SnapshotResult result, TextOutput output) => SnapshotRenderer.Render(result, output);
}
