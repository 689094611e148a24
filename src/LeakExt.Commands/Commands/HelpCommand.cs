using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Core;

namespace LeakExt.Commands.Commands;

public sealed class HelpOptions : CommandOptions
{
    public string? Topic { get; set; }
}

/// <summary>!help: the command list, or one command's usage.</summary>
[DeclaredCommand(100, HostedName = HelpCommand.HostedName, HostedSummary = HelpCommand.HostedSummaryText)]
public sealed class HelpCommand : Command<HelpOptions, HelpResult>
{
    public const string CommandName = "help";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Lists the commands, or shows one command's usage.";

    /// <summary>Its name in dotnet-dump and SOS, whose own "help" lists every command of the host.</summary>
    public const string HostedName = "leakext";

    public const string HostedSummaryText = "Lists the LeakExt commands, or shows one's usage: leakext [COMMAND].";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } = [new("COMMAND", "the command to explain", Optional: true)];
    protected override IReadOnlyList<OptionSpec<HelpOptions>> Options { get; } = [];
    protected override JsonTypeInfo<HelpResult> JsonType => LeakJsonContext.Default.HelpResult;

    protected override void BindArguments(HelpOptions options, IReadOnlyList<string> positional)
    {
        if (positional.Count > 1)
            throw new LeakExtException("help: name one command at most.");
        options.Topic = positional.Count == 1 ? positional[0].TrimStart('!') : null;
    }

    protected override HelpResult Run(HelpOptions options, CommandContext context)
    {
        var entries = CommandTable.All.Select(c => new HelpEntry(context.HostCommandName(c.Name), c.Summary)).ToArray();
        if (options.Topic is null)
            return new HelpResult("help", null, null, entries);
        CommandDefinition command = CommandTable.Find(options.Topic)
            ?? throw new LeakExtException("help: " + CommandDispatcher.UnknownCommand(options.Topic, []));
        return new HelpResult("help", command.Name, command.HelpText, []);
    }

    protected override void RenderText(HelpResult result, TextOutput output)
    {
        if (result.Text is not null)
        {
            output.WriteLines(result.Text);
            return;
        }
        output.WriteLine("LeakExt commands (a leading '!' is optional; 'COMMAND -h' for details):");
        int width = result.Commands.Max(c => c.Name.Length);
        foreach (HelpEntry entry in result.Commands)
            output.WriteLine($"  {entry.Name.PadRight(width)}  {FirstSentence(entry.Summary)}");
    }

    public static string FirstSentence(string text)
    {
        int end = text.IndexOf(": ", StringComparison.Ordinal);
        int dot = text.IndexOf(". ", StringComparison.Ordinal);
        int cut = new[] { end, dot }.Where(i => i > 0).DefaultIfEmpty(text.Length).Min();
        return text[..cut].TrimEnd('.') + ".";
    }
}
