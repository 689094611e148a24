using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>Where a command's output goes; each host supplies one (console, debugger output, test buffer).</summary>
public interface ICommandOutput
{
    void Write(string text);

    /// <summary>Text that runs <paramref name="command"/> when clicked, where the host supports links (DML); plain text elsewhere.</summary>
    void WriteLink(string text, string command);

    /// <summary>A one-line error for the user.</summary>
    void WriteError(string message);

    /// <summary>Progress for long walks, or null when the host shows none.</summary>
    IProgress<WalkProgress>? Progress { get; }
}

public static class CommandOutputExtensions
{
    public static void WriteLine(this ICommandOutput output, string text = "") => output.Write(text + "\n");
}

/// <summary>Collects output in memory (tests, JSON capture, golden files).</summary>
public sealed class StringCommandOutput : ICommandOutput
{
    private readonly System.Text.StringBuilder _text = new();
    private readonly System.Text.StringBuilder _errors = new();

    public string Text => _text.ToString();
    public string Errors => _errors.ToString();
    public IProgress<WalkProgress>? Progress => null;

    public void Write(string text) => _text.Append(text);
    public void WriteLink(string text, string command) => _text.Append(text);
    public void WriteError(string message) => _errors.AppendLine(message);
}
