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

/// <summary>
/// What text renderers write to: every string they write is treated as untrusted and escaped for
/// the terminal (<see cref="TerminalText"/>; names from the target or a file may hold anything), and
/// only the line breaks they ask for with <see cref="WriteLine"/> are real ones. It is the one place
/// command text is escaped, in every host. It also stops long output: each write checks the
/// command's cancellation token, so a million-line answer ends at the next line after Ctrl-C.
/// </summary>
public sealed class TextOutput(ICommandOutput host, CancellationToken cancellationToken = default)
{
    public void Write(string text)
    {
        cancellationToken.ThrowIfCancellationRequested();
        host.Write(TerminalText.Escape(text));
    }

    public void WriteLine(string text = "")
    {
        Write(text);
        host.Write("\n");
    }

    /// <summary>Text that runs <paramref name="command"/> when clicked, where the host supports links.</summary>
    public void WriteLink(string text, string command)
    {
        cancellationToken.ThrowIfCancellationRequested();
        host.WriteLink(TerminalText.Escape(text), TerminalText.Escape(command));
    }

    /// <summary>Our own multi-line text (help): each line written as a line.</summary>
    public void WriteLines(string text)
    {
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == lines.Length - 1 && lines[i].Length == 0)
                break;
            WriteLine(lines[i]);
        }
    }
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
