using LeakExt.Cli.Editing;

namespace LeakExt.Cli;

/// <summary>
/// Reads command lines for the REPL. On a terminal it is a small Emacs-style line editor:
/// the line wraps over several rows (<see cref="EditorScreen"/>), Ctrl-A/E, Ctrl-B/F, Alt-b/f and
/// the arrows move, Ctrl-K/U/W and Alt-d kill, Ctrl-Y yanks back, ↑/↓ walk the history, Ctrl-R
/// searches it backwards, Tab completes (<see cref="ReplCompletion"/>), Ctrl-C drops the line
/// ("^C", a fresh prompt), Ctrl-D on an empty line leaves, Ctrl-L clears the screen. History persists
/// (<see cref="CommandHistory"/>). Redirected input is read as plain lines and kept in memory only.
/// RadLine 0.6.0 was tried first: it scrolls a long line sideways instead of wrapping it, and has no
/// reverse search, kill commands or Ctrl-C handling, so this is our own.
/// </summary>
internal sealed class LineEditor
{
    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly bool _terminal;
    private readonly CommandHistory _history;
    private readonly ReplCompletion? _completion;
    private readonly EditorScreen _screen;

    public LineEditor(TextReader input, TextWriter output, bool terminal, ReplCompletion? completion = null)
    {
        _input = input;
        _output = output;
        _terminal = terminal;
        _completion = completion;
        _history = new CommandHistory(terminal ? CommandHistory.DefaultFile() : null);
        _screen = new EditorScreen(output, () => Console.WindowWidth);
    }

    public IReadOnlyList<string> History => _history.Lines;

    /// <summary>The next line, or null at end of input.</summary>
    public string? ReadLine(string prompt)
    {
        string? line;
        if (_terminal)
            line = ReadInteractive(prompt);
        else
        {
            _output.Write(prompt);
            _output.Flush();
            line = _input.ReadLine();
        }
        if (!string.IsNullOrWhiteSpace(line))
            _history.Add(line);
        return line;
    }

    private string? ReadInteractive(string prompt)
    {
        // While editing, Ctrl-C is a key (it drops the line, as in a shell); during a command it cancels.
        bool treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            return new Session(this, prompt).Run();
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    /// <summary>The state of one line being read: the buffer, the place in the history, a reverse search.</summary>
    private sealed class Session(LineEditor editor, string prompt)
    {
        private readonly EditBuffer _buffer = new();
        private int _historyIndex = editor._history.Lines.Count;
        private string _unsent = "";
        private ReverseSearch? _search;
        private bool _escape;

        public string? Run()
        {
            Redraw();
            while (true)
            {
                ConsoleKeyInfo key = Console.ReadKey(intercept: true);
                if (_search is not null && !Searching(key))
                    continue;
                switch (Handle(key))
                {
                    case Ending.Submit:
                        editor._screen.Finish();
                        return _buffer.Text;
                    case Ending.EndOfInput:
                        editor._screen.Finish();
                        return null;
                }
                Redraw();
            }
        }

        private enum Ending { None, Submit, EndOfInput }

        private Ending Handle(ConsoleKeyInfo key)
        {
            bool control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
            // A terminal sends Alt-x as ESC x; .NET reports it as Alt, or as Escape then x.
            bool alt = key.Modifiers.HasFlag(ConsoleModifiers.Alt) || _escape;
            _escape = key.Key == ConsoleKey.Escape && !_escape;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    return Ending.Submit;
                case ConsoleKey.C when control:
                    editor._screen.Finish("^C");
                    _buffer.Set("");
                    _historyIndex = editor._history.Lines.Count;
                    break;
                case ConsoleKey.D when control && _buffer.Length == 0:
                    return Ending.EndOfInput;
                case ConsoleKey.D when control:
                case ConsoleKey.Delete:
                    _buffer.Delete();
                    break;
                case ConsoleKey.D when alt:
                    _buffer.KillWordForward();
                    break;
                case ConsoleKey.Backspace:
                case ConsoleKey.H when control:
                    _buffer.Backspace();
                    break;
                case ConsoleKey.A when control:
                case ConsoleKey.Home:
                    _buffer.Home();
                    break;
                case ConsoleKey.E when control:
                case ConsoleKey.End:
                    _buffer.End();
                    break;
                case ConsoleKey.B when control:
                case ConsoleKey.LeftArrow when !control:
                    _buffer.Left();
                    break;
                case ConsoleKey.F when control:
                case ConsoleKey.RightArrow when !control:
                    _buffer.Right();
                    break;
                case ConsoleKey.B when alt:
                case ConsoleKey.LeftArrow:
                    _buffer.WordLeft();
                    break;
                case ConsoleKey.F when alt:
                case ConsoleKey.RightArrow:
                    _buffer.WordRight();
                    break;
                case ConsoleKey.K when control:
                    _buffer.KillToEnd();
                    break;
                case ConsoleKey.U when control:
                    _buffer.KillToStart();
                    break;
                case ConsoleKey.W when control:
                    _buffer.KillWordBack();
                    break;
                case ConsoleKey.Y when control:
                    _buffer.Yank();
                    break;
                case ConsoleKey.L when control:
                    editor._output.Write("\u001b[H\u001b[2J");
                    editor._screen.Forget();
                    break;
                case ConsoleKey.P when control:
                case ConsoleKey.UpArrow:
                    StepHistory(-1);
                    break;
                case ConsoleKey.N when control:
                case ConsoleKey.DownArrow:
                    StepHistory(+1);
                    break;
                case ConsoleKey.R when control:
                    _search = new ReverseSearch(_buffer.Text, _buffer.Cursor, editor._history.Lines.Count);
                    break;
                case ConsoleKey.Tab:
                    Complete();
                    break;
                default:
                    if (!char.IsControl(key.KeyChar) && !alt)
                        _buffer.Insert(key.KeyChar.ToString());
                    break;
            }
            return Ending.None;
        }

        /// <summary>A key while searching: true when it ends the search and is handled as a normal key.</summary>
        private bool Searching(ConsoleKeyInfo key)
        {
            ReverseSearch search = _search!;
            bool control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
            if (key.Key == ConsoleKey.R && control)
                search.Older(editor._history);
            else if (key.Key == ConsoleKey.Backspace)
                search.Shorten(editor._history);
            else if ((key.Key == ConsoleKey.G && control) || key.Key == ConsoleKey.Escape)
            {
                _buffer.Set(search.OriginalText, search.OriginalCursor);
                _search = null;
            }
            else if (!char.IsControl(key.KeyChar) && (key.Modifiers & (ConsoleModifiers.Control | ConsoleModifiers.Alt)) == 0)
                search.Extend(key.KeyChar, editor._history);
            else
            {
                // Any other key takes the match into the line and then does what it does there (Enter runs it).
                if (search.Match >= 0)
                {
                    _historyIndex = search.Match;
                    _buffer.Set(editor._history.Lines[search.Match], search.MatchCursor(editor._history));
                }
                _search = null;
                return true;
            }
            Redraw();
            return false;
        }

        private void StepHistory(int step)
        {
            int next = _historyIndex + step;
            if (next < 0 || next > editor._history.Lines.Count)
                return;
            if (_historyIndex == editor._history.Lines.Count)
                _unsent = _buffer.Text;
            _historyIndex = next;
            _buffer.Set(next == editor._history.Lines.Count ? _unsent : editor._history.Lines[next]);
        }

        private void Complete()
        {
            if (editor._completion is null)
                return;
            Completion completion = editor._completion.Complete(_buffer.Text, _buffer.Cursor);
            IReadOnlyList<string> candidates = completion.Candidates;
            if (candidates.Count == 0)
                return;
            string typed = _buffer.Text[completion.Start.._buffer.Cursor].TrimStart('"');
            if (candidates.Count == 1)
            {
                string only = candidates[0];
                bool folder = only.EndsWith('/');
                string atEnd = _buffer.Cursor == _buffer.Length && !folder ? " " : "";
                _buffer.ReplaceBeforeCursor(completion.Start, ReplCompletion.Insertion(only, whole: !folder) + atEnd);
                return;
            }
            string common = ReplCompletion.CommonPrefix(candidates);
            if (common.Length > typed.Length)
            {
                _buffer.ReplaceBeforeCursor(completion.Start, ReplCompletion.Insertion(common, whole: false));
                return;
            }
            editor._screen.List(candidates);
        }

        private void Redraw()
        {
            if (_search is { } search)
            {
                string line = search.Match >= 0 ? editor._history.Lines[search.Match] : search.OriginalText;
                int cursor = search.Match >= 0 ? search.MatchCursor(editor._history) : 0;
                editor._screen.Draw($"({(search.Failed ? "failed " : "")}reverse-i-search)'{search.Query}': ", line, cursor);
            }
            else
                editor._screen.Draw(prompt, _buffer.Text, _buffer.Cursor);
        }
    }
}
