using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

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
