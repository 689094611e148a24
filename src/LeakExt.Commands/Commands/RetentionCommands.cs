using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

/// <summary>Options shared by commands that take ADDR or -type T.</summary>
public class ObjectOrTypeOptions : CommandOptions
{
    public ulong? Address { get; set; }
    public string? Type { get; set; }
}

internal static class ObjectOrType
{
    public static void Bind(string command, ObjectOrTypeOptions options, IReadOnlyList<string> positional, bool typeAllowed = true)
    {
        if (options.Type is not null)
            TypePattern.Parse(options.Type, command);
        if (positional.Count > 1)
            throw new LeakExtException($"{command}: expected one address, got {positional.Count} arguments; run '{command} -h' for usage.");
        if (positional.Count == 1)
            options.Address = Address.Parse(command, positional[0]);
        if (options.Address is null && options.Type is null)
            throw new LeakExtException(typeAllowed ? $"{command}: give an object address or -type T; run '{command} -h' for usage."
                                                   : $"{command}: give an object address; run '{command} -h' for usage.");
        if (options.Address is not null && options.Type is not null)
            throw new LeakExtException($"{command}: give an address or -type, not both.");
    }
}

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

public sealed class BackrefsOptions : ObjectOrTypeOptions
{
    public int Depth { get; set; } = 10;
    public int MaxNodes { get; set; } = 100;
    public bool Weak { get; set; }
    public bool Raw { get; set; }
    public string? DotFile { get; set; }
    public string? SvgFile { get; set; }
    public bool Force { get; set; }
}

/// <summary>!backrefs: who refers to an object, up to a depth (objgraph's show_backrefs).</summary>
[DeclaredCommand(50)]
public sealed class BackrefsCommand : Command<BackrefsOptions, BackrefsResult>
{
    public const string CommandName = "backrefs";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Shows the graph of referrers of an object up to a depth, with field names, roots labelled and cycles marked. Collection internals are folded (a List's array shows as 'List<T> items') unless -raw; weak references are hidden unless -weak.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } = [new("ADDR", "the object's address; or use -type", Optional: true)];
    protected override IReadOnlyList<OptionSpec<BackrefsOptions>> Options { get; } =
    [
        new("type", "T", "a representative instance of type T (full name, the short name we print, or a glob): the one whose holder has the most instances", (o, v) => o.Type = v),
        new("depth", "N", "levels of referrers (default 10)", (o, v) => o.Depth = OptionValues.WholeNumber("backrefs", "depth", v, 1)),
        new("max-nodes", "N", "objects to show at most (default 100); the rest is counted as 'N more referrers'",
            (o, v) => o.MaxNodes = OptionValues.WholeNumber("backrefs", "max-nodes", v, 1)),
        OptionSpec<BackrefsOptions>.Flag("weak", "also show weak handles (and the WeakReference objects owning them)", o => o.Weak = true),
        OptionSpec<BackrefsOptions>.Flag("raw", "show collection internals (arrays, entries, nodes) instead of folding them", o => o.Raw = true),
        new("dot", "FILE", "also write the graph in Graphviz DOT format", (o, v) => o.DotFile = v),
        new("svg", "FILE", "also render it to SVG with Graphviz's 'dot' (must be installed)", (o, v) => o.SvgFile = v),
        OutputFileOption.Force<BackrefsOptions>(o => o.Force = true),
    ];
    protected override JsonTypeInfo<BackrefsResult> JsonType => LeakJsonContext.Default.BackrefsResult;

    protected override void BindArguments(BackrefsOptions options, IReadOnlyList<string> positional) => ObjectOrType.Bind(Name, options, positional);

    protected override BackrefsResult Run(BackrefsOptions options, CommandContext context)
    {
        OutputOptions rules = OutputFileOption.Rules(options.Force);
        // Refused before the walk, not after it.
        foreach (string? file in new[] { options.DotFile, options.SvgFile })
            if (file is not null)
                OutputFile.CheckTarget(file, rules);
        BackrefGraph graph = context.Session.RequireTarget(Name).Use(
            s => s.Backrefs(options.Address, options.Type, options.Depth, options.MaxNodes, options.Weak, options.Raw, context.Output.Progress, context.CancellationToken),
            context.CancellationToken);
        var result = new BackrefsResult(Name, graph.Nodes[graph.Target].Object!, graph.Holder, graph.Selection?.Text, graph.Selection?.Types,
            graph.InstancesOfType, graph.InstancesSharingHolder, graph.Nodes, graph.Edges, graph.Cuts,
            options.DotFile is null ? null : Path.GetFullPath(options.DotFile), options.SvgFile is null ? null : Path.GetFullPath(options.SvgFile));
        if (options.DotFile is null && options.SvgFile is null)
            return result;
        DotGraph dot = DotRenderer.Render(result);
        if (options.DotFile is not null)
            OutputFile.WriteText(options.DotFile, dot.Text, rules, context.CancellationToken);
        if (options.SvgFile is not null)
            Graphviz.RenderSvg(dot.Text, options.SvgFile, rules, context.CancellationToken);
        return result with { FileNodeCount = dot.NodeCount };
    }

    protected override void RenderText(BackrefsResult result, TextOutput output) => RetentionRenderer.Backrefs(result, output);
}

/// <summary>!retained: how much memory an object (or all instances of a type) keeps alive.</summary>
[DeclaredCommand(70)]
public sealed class RetainedCommand : Command<ObjectOrTypeOptions, RetainedCommandResult>
{
    public const string CommandName = "retained";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Shows how much memory would be freed if an object, or every live instance of a type, were released: its retained size, exact, through the dominator tree.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } = [new("ADDR", "the object's address; or use -type", Optional: true)];
    protected override IReadOnlyList<OptionSpec<ObjectOrTypeOptions>> Options { get; } =
    [
        new("type", "T", "all live instances of type T together: its full name, the short name we print (List<Hyperlink>), a glob (*Hyperlink*), or A|B", (o, v) => o.Type = v),
    ];
    protected override JsonTypeInfo<RetainedCommandResult> JsonType => LeakJsonContext.Default.RetainedCommandResult;

    protected override void BindArguments(ObjectOrTypeOptions options, IReadOnlyList<string> positional) => ObjectOrType.Bind(Name, options, positional);

    protected override RetainedCommandResult Run(ObjectOrTypeOptions options, CommandContext context)
    {
        RetainedResult r = context.Session.RequireTarget(Name).Use(
            s => s.Retained(options.Address, options.Type, context.Output.Progress, context.CancellationToken), context.CancellationToken);
        return RetainedCommandResult.From(r);
    }

    protected override void RenderText(RetainedCommandResult result, TextOutput output) => RetentionRenderer.Retained(result, output);
}

public sealed class DominatorsOptions : CommandOptions
{
    public int Top { get; set; } = 20;
}

/// <summary>!dominators: the objects that retain the most memory.</summary>
[DeclaredCommand(80)]
public sealed class DominatorsCommand : Command<DominatorsOptions, DominatorsCommandResult>
{
    public const string CommandName = "dominators";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Lists the objects that retain the most memory (by the dominator tree), with their holders.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<OptionSpec<DominatorsOptions>> Options { get; } =
    [
        new("top", "N", "rows to show (default 20)", (o, v) => o.Top = OptionValues.WholeNumber("dominators", "top", v, 1)),
    ];
    protected override JsonTypeInfo<DominatorsCommandResult> JsonType => LeakJsonContext.Default.DominatorsCommandResult;

    protected override DominatorsCommandResult Run(DominatorsOptions options, CommandContext context)
    {
        DominatorsResult r = context.Session.RequireTarget(Name).Use(
            s => s.Dominators(options.Top, context.Output.Progress, context.CancellationToken), context.CancellationToken);
        return new DominatorsCommandResult(Name, r.LiveBytes, r.Rows);
    }

    protected override void RenderText(DominatorsCommandResult result, TextOutput output) => RetentionRenderer.Dominators(result, output);
}
