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
