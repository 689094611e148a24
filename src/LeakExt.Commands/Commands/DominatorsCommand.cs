using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

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
