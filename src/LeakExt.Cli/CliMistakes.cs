using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using LeakExt.Commands;
using LeakExt.Commands.Commands;
using LeakExt.Commands.Framework;

namespace LeakExt.Cli;

/// <summary>
/// The standalone host's own command line when System.CommandLine could not make sense of it:
/// one line that says what to do — a session command typed outside a session, an SOS name,
/// a mistyped option or command ("did you mean"), or a -c command line left unquoted.
/// </summary>
internal static class CliMistakes
{
    public const int ExitUsage = 2;

    public static string Describe(ParseResult parsed, IReadOnlyList<string> args)
    {
        Command command = parsed.CommandResult.Command;
        string where = Where(command);
        string? first = parsed.UnmatchedTokens.Count > 0 ? parsed.UnmatchedTokens[0] : null;
        if (first is not null)
        {
            if (UnquotedCommandLine(args, first) is { } quoted)
                return $"-c takes one command line: quote it, as in -c \"{quoted}\".";
            if (command is RootCommand && !first.StartsWith('-'))
                return OutsideSession(first, args.Skip(1).ToArray(), command);
            if (first.StartsWith('-'))
                return UnknownOption(command, first);
            return $"unexpected argument '{first}' for '{where}'; run '{where} --help'.";
        }
        string message = parsed.Errors[0].Message.TrimEnd('.');
        return $"{message} ({where}); run '{where} --help'.";
    }

    /// <summary>
    /// An unknown option the parser took for the command's argument ("leakext analyze --bogus" binds
    /// "--bogus" as the dump): a word that starts with a dash and names no file or folder. Null when
    /// every argument is a plain word, a negative number or an existing path ("-" alone, or a file called "-x", stay arguments).
    /// </summary>
    public static string? OptionTakenAsArgument(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        foreach (ArgumentResult argument in parsed.CommandResult.Children.OfType<ArgumentResult>())
        {
            foreach (Token token in argument.Tokens)
            {
                string word = token.Value;
                if (word.Length >= 2 && word[0] == '-' && !char.IsDigit(word[1]) && !File.Exists(word) && !Directory.Exists(word))
                    return UnknownOption(command, word);
            }
        }
        return null;
    }

    private static string UnknownOption(Command command, string option)
    {
        string where = Where(command);
        string hint = Suggestions.DidYouMean(option.TrimStart('-'), command.Options.Select(o => o.Name.TrimStart('-')), "--");
        return $"unknown option '{option}' for '{where}'{hint}; run '{where} --help'.";
    }

    private static string Where(Command command) => command is RootCommand ? "leakext" : "leakext " + command.Name;

    /// <summary>A LeakExt or SOS command typed as if it were one of the host's own.</summary>
    private static string OutsideSession(string name, IReadOnlyList<string> rest, Command root)
    {
        string bare = name.TrimStart('!');
        if (CommandTable.Find(bare) is { } sessionCommand)
            return $"'{sessionCommand.Name}' runs inside a session: 'leakext analyze DUMP' or 'leakext attach PID' and type it at the prompt, " +
                   $"or 'leakext analyze DUMP -c \"{sessionCommand.Name}\"' (snapshot files need no target: 'leakext -c \"snapdiff a.leaksnap b.leaksnap\"').";
        if (Suggestions.ForSosCommand(bare, rest) is { } sos)
            return sos + " LeakExt's commands run inside 'leakext analyze DUMP' or 'leakext attach PID'.";
        IEnumerable<string> names = root.Subcommands.Select(c => c.Name).Concat(CommandTable.All.Select(c => c.Name));
        return $"unknown command '{name}'{Suggestions.DidYouMean(bare, names)}; run 'leakext --help'.";
    }

    /// <summary>
    /// The command line a -c swallowed only the first word of: "-c snapshot -name before" leaves
    /// "-name before" unmatched. Null when the unmatched token does not follow a -c value.
    /// </summary>
    private static string? UnquotedCommandLine(IReadOnlyList<string> args, string unmatched)
    {
        int at = -1;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] is "-c" or "--command" or "-command")
                at = i;
            else if (args[i] == unmatched && at >= 0 && i > at + 1)
            {
                var words = new List<string> { args[at + 1] };
                for (int j = at + 2; j < args.Count && args[j] is not ("-c" or "--command" or "-command" or "-y" or "--symbol-path"); j++)
                    words.Add(args[j]);
                return string.Join(' ', words);
            }
        }
        return null;
    }
}

/// <summary>'leakext --help': the host's help, then the commands that run inside a session, from the command table.</summary>
internal sealed class HelpWithSessionCommands(HelpAction standard) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        int code = standard.Invoke(parseResult);
        if (parseResult.CommandResult.Command is not RootCommand)
            return code;
        TextWriter output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Commands inside a session (at the leakext> prompt of analyze or attach, or with -c):");
        int width = CommandTable.All.Max(c => c.Name.Length);
        foreach (CommandDefinition command in CommandTable.All)
            output.WriteLine($"  {command.Name.PadRight(width)}  {HelpCommand.FirstSentence(command.Summary)}");
        output.WriteLine();
        output.WriteLine("Options take one dash or two (-top 5, --top 5). 'COMMAND -h' inside a session shows a command's options.");
        return code;
    }
}
