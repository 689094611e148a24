using System.Text;

namespace LeakExt.Cli.Editing;

/// <summary>
/// The line being edited: its text, the cursor (an index 0…Length), and the last text killed
/// (Ctrl-K/U/W, Alt-d) for Ctrl-Y. Words, as in Emacs and bash: Alt-b/f move over letters and
/// digits; Ctrl-W kills back to the previous whitespace (a whole path or type name).
/// </summary>
internal sealed class EditBuffer
{
    private readonly StringBuilder _text = new();
    private string _killed = "";

    public int Cursor { get; private set; }
    public int Length => _text.Length;
    public string Text => _text.ToString();

    public void Set(string text, int? cursor = null)
    {
        _text.Clear().Append(text);
        Cursor = Math.Clamp(cursor ?? text.Length, 0, text.Length);
    }

    public void Insert(string text)
    {
        _text.Insert(Cursor, text);
        Cursor += text.Length;
    }

    /// <summary>Replaces text[start..Cursor] (the word completed) with <paramref name="text"/>.</summary>
    public void ReplaceBeforeCursor(int start, string text)
    {
        _text.Remove(start, Cursor - start).Insert(start, text);
        Cursor = start + text.Length;
    }

    public void Backspace()
    {
        if (Cursor > 0)
            _text.Remove(--Cursor, 1);
    }

    public void Delete()
    {
        if (Cursor < _text.Length)
            _text.Remove(Cursor, 1);
    }

    public void Left() => Cursor = Math.Max(0, Cursor - 1);
    public void Right() => Cursor = Math.Min(_text.Length, Cursor + 1);
    public void Home() => Cursor = 0;
    public void End() => Cursor = _text.Length;

    public void WordLeft() => Cursor = WordStart(Cursor);
    public void WordRight() => Cursor = WordEnd(Cursor);

    public void KillToEnd() => Kill(Cursor, _text.Length);
    public void KillToStart() => Kill(0, Cursor);
    public void KillWordForward() => Kill(Cursor, WordEnd(Cursor));

    public void KillWordBack()
    {
        int start = Cursor;
        while (start > 0 && char.IsWhiteSpace(_text[start - 1]))
            start--;
        while (start > 0 && !char.IsWhiteSpace(_text[start - 1]))
            start--;
        Kill(start, Cursor);
    }

    public void Yank() => Insert(_killed);

    private void Kill(int from, int to)
    {
        if (to <= from)
            return;
        _killed = _text.ToString(from, to - from);
        _text.Remove(from, to - from);
        Cursor = from;
    }

    private int WordStart(int from)
    {
        int i = from;
        while (i > 0 && !IsWordChar(_text[i - 1]))
            i--;
        while (i > 0 && IsWordChar(_text[i - 1]))
            i--;
        return i;
    }

    private int WordEnd(int from)
    {
        int i = from;
        while (i < _text.Length && !IsWordChar(_text[i]))
            i++;
        while (i < _text.Length && IsWordChar(_text[i]))
            i++;
        return i;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
