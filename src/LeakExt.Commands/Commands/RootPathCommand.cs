using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

public sealed class RootPathOptions : CommandOptions
{
    public ulong Address { get; set; }
    public int All { get; set; } = 1;
}

/// <summary>!rootpath: the shortest path(s) from a root to an object.</summary>
[DeclaredCommand(60)]
public sealed class RootPathCommand : Command<RootPathOptions, RootPathResult>
{
    public const string CommandName = "rootpath";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Shows the shortest path from a GC root to an object. Roots are tried in priority order: statics and handles before stacks and the finalizer queue, so paths run through user code.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } = [new("ADDR", "the object's address (hex, with or without 0x)", Optional: false)];
    protected override IReadOnlyList<OptionSpec<RootPathOptions>> Options { get; } =
    [
        new("all", "N", "up to N paths, each from a different root object (default 1)", (o, v) => o.All = OptionValues.WholeNumber("rootpath", "all", v, 1)),
    ];
    protected override JsonTypeInfo<RootPathResult> JsonType => LeakJsonContext.Default.RootPathResult;

    protected override string Notes => $"A path of more than {RootPath.ShownHops} objects (through a linked list of millions, say) shows its first and last {RootPath.ShownHops / 2}, and how many lie between.";

    protected override void BindArguments(RootPathOptions options, IReadOnlyList<string> positional)
    {
        if (positional.Count != 1)
            throw new LeakExtException("rootpath: give one object address; run 'rootpath -h' for usage.");
        options.Address = Address.Parse("rootpath", positional[0]);
    }

    protected override RootPathResult Run(RootPathOptions options, CommandContext context)
    {
        RootPathsResult paths = context.Session.RequireTarget(Name).Use(
            s => s.RootPaths(options.Address, options.All, context.Output.Progress, context.CancellationToken), context.CancellationToken);
        return new RootPathResult(Name, paths.Target, paths.Live, paths.Holder, paths.Paths);
    }

    protected override void RenderText(RootPathResult result, TextOutput output) => RetentionRenderer.RootPaths(result, output);
}
