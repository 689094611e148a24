using System.Text;
using LeakExt.Core.Files;

namespace LeakExt.Cli;

/// <summary>
/// Reads command lines for the REPL. On a terminal: editing with ←/→, Home/End, Backspace/Delete,
/// and history with ↑/↓ (kept in ~/.leakext_history, last 500 lines). Redirected input: plain lines.
/// </summary>
internal sealed class LineEditor
{
    private const int MaxHistory = 500;
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly bool _terminal;
    private readonly List<string> _history = new();
    private readonly string? _historyFile;

    public LineEditor(TextReader input, TextWriter output, bool terminal)
    {
        _input = input;
        _output = output;
        _terminal = terminal;
        if (terminal)
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            _historyFile = home.Length > 0 ? Path.Combine(home, ".leakext_history") : null;
            // A history that is a link, a FIFO or a device is not ours to read or append to.
            if (_historyFile is not null && FileProbe.Inspect(_historyFile).Kind is not (FileKind.Regular or FileKind.Missing))
                _historyFile = null;
            try
            {
                if (_historyFile is not null && File.Exists(_historyFile))
                    _history.AddRange(File.ReadAllLines(_historyFile).TakeLast(MaxHistory));
            }
            catch (IOException)
            {
                // History is a convenience; a broken file must not stop the session.
            }
        }
    }

    public IReadOnlyList<string> History => _history;

    /// <summary>The next line, or null at end of input.</summary>
    public string? ReadLine(string prompt)
    {
        _output.Write(prompt);
        _output.Flush();
        string? line = _terminal ? ReadInteractive(prompt) : _input.ReadLine();
        if (!string.IsNullOrWhiteSpace(line))
            Remember(line);
        return line;
    }

    private void Remember(string line)
    {
        if (_history.Count > 0 && _history[^1] == line)
            return;
        _history.Add(line);
        if (_history.Count > MaxHistory)
            _history.RemoveAt(0);
        try
        {
            if (_historyFile is not null)
                File.AppendAllLines(_historyFile, [line]);
        }
        catch (IOException)
        {
        }
    }

    private string? ReadInteractive(string prompt)
    {
        // While editing, Ctrl-C is a key (it clears the line, as in a shell); during a command it cancels.
        bool treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            return EditLine(prompt);
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    private string? EditLine(string prompt)
    {
        var buffer = new StringBuilder();
        int cursor = 0;
        int historyIndex = _history.Count;
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.C when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                    _output.WriteLine("^C");
                    buffer.Clear();
                    cursor = 0;
                    historyIndex = _history.Count;
                    break;
                case ConsoleKey.Enter:
                    _output.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < buffer.Length:
                    buffer.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < buffer.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when historyIndex > 0:
                    historyIndex--;
                    buffer.Clear().Append(_history[historyIndex]);
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.DownArrow when historyIndex < _history.Count:
                    historyIndex++;
                    buffer.Clear().Append(historyIndex < _history.Count ? _history[historyIndex] : "");
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && buffer.Length == 0:
                    _output.WriteLine();
                    return null;
                default:
                    if (!char.IsControl(key.KeyChar))
                        buffer.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw(prompt, buffer, cursor);
        }
    }

    private void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        // Carriage return, prompt and text, clear to end of line, then move the cursor back.
        _output.Write("\r" + prompt + buffer + "\u001b[K");
        int back = buffer.Length - cursor;
        if (back > 0)
            _output.Write($"\u001b[{back}D");
        _output.Flush();
    }
}
