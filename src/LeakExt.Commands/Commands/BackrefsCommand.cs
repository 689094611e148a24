using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

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
