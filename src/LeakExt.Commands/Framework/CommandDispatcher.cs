using System.Text.Json;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>
/// Runs one command line against a session: finds the command (a leading '!' is optional),
/// turns user mistakes into one-line errors and cancellation into a short note.
/// Hosts call this; it never throws for a user error.
/// </summary>
public static class CommandDispatcher
{
    public enum Outcome { Succeeded, Failed, Cancelled }

    public static Outcome Run(string commandLine, CommandContext context)
    {
        IReadOnlyList<string> tokens;
        try
        {
            tokens = CommandLineSplitter.Split(commandLine);
        }
        catch (LeakExtException ex)
        {
            context.Output.WriteError(TerminalText.Escape(ex.Message));
            return Outcome.Failed;
        }
        if (tokens.Count == 0)
            return Outcome.Succeeded;
        return Run(tokens[0], tokens.Skip(1).ToArray(), context);
    }

    public static Outcome Run(string commandName, IReadOnlyList<string> arguments, CommandContext context)
    {
        string name = commandName.TrimStart('!');
        bool json = arguments.Any(a => a is "-json" or "--json");
        if (json && context.Output.Progress is not null)
            context = new CommandContext
            {
                Session = context.Session, Output = new WithoutProgress(context.Output), CancellationToken = context.CancellationToken,
                HostCommandName = context.HostCommandName, SymbolPathHint = context.SymbolPathHint,
            };
        CommandDefinition? command = CommandTable.Find(name);
        try
        {
            if (command is null)
                throw new LeakExtException(UnknownCommand(name, arguments));
            command.Invoke(arguments, context);
            return Outcome.Succeeded;
        }
        catch (OperationCanceledException)
        {
            context.Output.WriteError(TerminalText.Escape($"{name}: cancelled."));
            return Outcome.Cancelled;
        }
        catch (LeakExtException ex)
        {
            Report(context, name, json, context.HostMessage(ex));
            return Outcome.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException
                                       or ArgumentException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // Failures from the target or the file system: still one line, with the reason.
            Report(context, name, json, $"{name}: {ex.Message.ReplaceLineEndings(" ")}");
            return Outcome.Failed;
        }
    }

    /// <summary>What an unknown name is: an SOS command (and what to use here), a typo of ours, or neither.</summary>
    public static string UnknownCommand(string name, IReadOnlyList<string> arguments) =>
        Suggestions.ForSosCommand(name, arguments)
        ?? $"unknown command '{name}'{Suggestions.DidYouMean(name, CommandTable.All.Select(c => c.Name))}; run 'help' to list the commands.";

    /// <summary>Errors name files and types that may hold anything: escaped for the terminal (the JSON document escapes them itself).</summary>
    private static void Report(CommandContext context, string name, bool json, string message)
    {
        context.Output.WriteError(TerminalText.Escape(message));
        if (json)
            context.Output.Write(JsonSerializer.Serialize(new ErrorResult(name, message), LeakJsonContext.Default.ErrorResult) + "\n");
    }
}

/// <summary>A host's output without progress lines: with -json the document is all a command prints (some hosts put progress on stdout).</summary>
internal sealed class WithoutProgress(ICommandOutput output) : ICommandOutput
{
    public IProgress<WalkProgress>? Progress => null;
    public void Write(string text) => output.Write(text);
    public void WriteLink(string text, string command) => output.WriteLink(text, command);
    public void WriteError(string message) => output.WriteError(message);
}

/// <summary>The JSON document printed on stdout when a command run with -json fails.</summary>
public sealed record ErrorResult(string Command, string Error) : CommandDocument(Command);
