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
