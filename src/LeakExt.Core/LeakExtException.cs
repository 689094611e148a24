namespace LeakExt.Core;

/// <summary>
/// A problem the user can fix (bad path, wrong file, bad argument). Its message is one
/// line that says what went wrong and what to do; hosts print it without a stack trace.
/// </summary>
public class LeakExtException : Exception
{
    public LeakExtException(string message) : base(message) { }

    public LeakExtException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The runtime's data access library (DAC) would not load. The message says what any host can say;
/// <see cref="Problem"/> lets a host add its own way to set the symbol path instead (<see cref="WithHint"/>).
/// </summary>
public sealed class DacLoadException(string problem, Exception inner)
    : LeakExtException($"{problem}; the symbol path (or {Targets.SymbolPath.EnvironmentVariable}) must lead to it.", inner)
{
    public string Problem { get; } = problem;

    /// <summary>The problem and the host's own hint ("pass --symbol-path or set _NT_SYMBOL_PATH.").</summary>
    public string WithHint(string hint) => $"{Problem}; {hint}";
}

/// <summary>
/// A process id or name that names no running .NET process (or several): the problem in neutral words,
/// to which a host that can list processes adds how (the standalone host: 'leakext ps').
/// </summary>
public sealed class ProcessChoiceException(string problem, bool ambiguous)
    : LeakExtException(ambiguous ? $"{problem}; give the PID." : $"{problem}.")
{
    public string Problem { get; } = problem;

    /// <summary>The problem and the host's way to list processes, e.g. "'leakext ps'".</summary>
    public string WithLister(string lister) =>
        ambiguous ? $"{Problem}; give the PID ({lister} lists them)." : $"{Problem}; {lister} lists the .NET processes you can attach to.";
}
