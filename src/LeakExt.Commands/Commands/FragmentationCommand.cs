using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core.Growth;

namespace LeakExt.Commands.Commands;

public sealed class FragmentationOptions : CommandOptions
{
    public int Top { get; set; } = 10;
}

/// <summary>!fragmentation: where free space sits inside the GC heap, and which pinned objects hold it open.</summary>
[DeclaredCommand(90)]
public sealed class FragmentationCommand : Command<FragmentationOptions, FragmentationResult>
{
    public const string CommandName = "fragmentation";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Shows free space inside the GC heap by generation and segment, the largest free blocks, and the pinned objects (pinned and async-pinned handles, the pinned object heap) next to free space, with their holders.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<OptionSpec<FragmentationOptions>> Options { get; } =
    [
        new("top", "N", "segments, free blocks and pinned objects to list (default 10)", (o, v) => o.Top = OptionValues.WholeNumber("fragmentation", "top", v, 1)),
    ];

    protected override JsonTypeInfo<FragmentationResult> JsonType => LeakJsonContext.Default.FragmentationResult;

    protected override FragmentationResult Run(FragmentationOptions options, CommandContext context)
    {
        FragmentationReport report = context.Session.RequireTarget(Name).Use(
            s => s.Fragmentation(options.Top, context.Output.Progress, context.CancellationToken), context.CancellationToken);
        return new FragmentationResult(Name, report.FreeBytes, report.HeapBytes, report.FreePercent, report.Generations, report.Segments,
            report.LargestFree, report.PinnedCount, report.Pinned);
    }

    protected override void RenderText(FragmentationResult result, TextOutput output) => FragmentationRenderer.Render(result, output);
}
