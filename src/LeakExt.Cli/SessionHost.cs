using LeakExt.Commands;
using LeakExt.Commands.Framework;

namespace LeakExt.Cli;

/// <summary>Runs commands against one session: a batch (-c …) or the interactive REPL.</summary>
internal sealed class SessionHost(LeakSession session, TextReader stdin, TextWriter stdout, TextWriter stderr,
    bool terminal, bool showProgress, InterruptHandler interrupts)
{
    public const int ExitFailure = 1;
    public const int ExitCancelled = 130;

    /// <summary>How long a command runs before its progress line appears (tests make it zero).</summary>
    public TimeSpan? ProgressDelay { get; init; }

    /// <summary>Runs the commands in order and stops at the first that fails.</summary>
    public int RunBatch(IReadOnlyList<string> commands)
    {
        foreach (string command in commands)
        {
            switch (RunOne(command))
            {
                case CommandDispatcher.Outcome.Failed:
                    return ExitFailure;
                case CommandDispatcher.Outcome.Cancelled:
                    return ExitCancelled;
            }
            if (interrupts.ExitRequested)
                return ExitCancelled;
        }
        return 0;
    }

    public int RunRepl()
    {
        var editor = new LineEditor(stdin, stdout, terminal, new Editing.ReplCompletion(session));
        interrupts.AtPrompt = () =>
        {
            stdout.WriteLine();
            stdout.Write("(Ctrl-C cancels a running command; type 'exit' to leave)\nleakext> ");
            stdout.Flush();
        };
        stdout.WriteLine($"LeakExt on {session.Target?.Description ?? "no target"}. Type 'help' for commands, 'exit' to leave.");
        while (!interrupts.ExitRequested)
        {
            string? line = editor.ReadLine("leakext> ");
            if (line is null)
                break;
            string trimmed = line.Trim();
            if (trimmed is "exit" or "quit" or "q" or "!exit" or "!quit")
                break;
            RunOne(trimmed);
        }
        interrupts.AtPrompt = null;
        return 0;
    }

    public CommandDispatcher.Outcome RunOne(string commandLine)
    {
        // -json prints one document and nothing else: no progress either.
        bool json = commandLine.Split(' ').Any(word => word.Equals("-json", StringComparison.OrdinalIgnoreCase) || word.Equals("--json", StringComparison.OrdinalIgnoreCase));
        using ConsoleProgress? progress = showProgress && !json ? new ConsoleProgress(stderr, ProgressDelay) : null;
        CancellationToken token = interrupts.BeginCommand();
        try
        {
            var context = new CommandContext
            {
                Session = session,
                Output = new ConsoleCommandOutput(stdout, stderr, progress),
                CancellationToken = token,
                SymbolPathHint = LeakExtApp.SymbolPathHint,
            };
            CommandDispatcher.Outcome outcome = CommandDispatcher.Run(commandLine, context);
            stdout.Flush();
            return outcome;
        }
        finally
        {
            interrupts.EndCommand();
        }
    }
}
