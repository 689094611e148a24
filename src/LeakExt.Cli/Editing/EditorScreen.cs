namespace LeakExt.Cli.Editing;

/// <summary>
/// Draws the prompt and the line being edited, wrapped over as many terminal rows as it needs.
/// It remembers the row of the terminal's cursor relative to the prompt's first row, so a redraw
/// goes up to the prompt, rewrites it, clears what is below, and puts the cursor back where the
/// edit is: one prompt on the screen however long the line. Characters are taken as one column
/// each (what a command line holds); the width is read at every redraw, so a resized terminal
/// redraws right from the next key.
/// </summary>
internal sealed class EditorScreen(TextWriter output, Func<int> width)
{
    private const string ClearBelow = "\u001b[J";
    private int _cursorRow;
    private int _endRow;
    private int _endColumn;

    /// <summary>Draws <paramref name="prompt"/> and <paramref name="text"/> with the cursor at index <paramref name="cursor"/> of the text.</summary>
    public void Draw(string prompt, string text, int cursor)
    {
        int columns = Math.Max(10, width());
        var frame = new System.Text.StringBuilder();
        Up(frame, _cursorRow);
        frame.Append('\r').Append(prompt).Append(text);
        int end = prompt.Length + text.Length;
        // At exactly the last column the terminal waits to wrap; a space and a return make it do so now.
        if (end > 0 && end % columns == 0)
            frame.Append(" \r");
        frame.Append(ClearBelow);
        _endRow = end / columns;
        _endColumn = end % columns;
        int at = prompt.Length + cursor;
        int row = at / columns, column = at % columns;
        Up(frame, _endRow - row);
        frame.Append('\r');
        if (column > 0)
            frame.Append("\u001b[").Append(column).Append('C');
        _cursorRow = row;
        output.Write(frame.ToString());
        output.Flush();
    }

    /// <summary>Leaves the edited line as it is drawn, plus <paramref name="suffix"/> (e.g. "^C"), and starts a new row below it.</summary>
    public void Finish(string suffix = "")
    {
        var frame = new System.Text.StringBuilder();
        if (_endRow > _cursorRow)
            frame.Append("\u001b[").Append(_endRow - _cursorRow).Append('B');
        frame.Append('\r');
        if (_endColumn > 0)
            frame.Append("\u001b[").Append(_endColumn).Append('C');
        frame.Append(suffix).Append('\n');
        _cursorRow = _endRow = _endColumn = 0;
        output.Write(frame.ToString());
        output.Flush();
    }

    /// <summary>After the screen was cleared: the prompt is drawn again from the top row.</summary>
    public void Forget() => _cursorRow = _endRow = _endColumn = 0;

    /// <summary>Below the line, the candidates in columns; the caller draws the prompt again after it.</summary>
    public void List(IReadOnlyList<string> candidates, int max = 100)
    {
        Finish();
        int columns = Math.Max(10, width());
        int cell = Math.Min(columns, candidates.Take(max).Max(c => c.Length) + 2);
        int perRow = Math.Max(1, columns / cell);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < Math.Min(max, candidates.Count); i++)
        {
            string shown = candidates[i].Length >= columns ? candidates[i][..(columns - 2)] + "…" : candidates[i];
            text.Append(i % perRow == perRow - 1 || i == candidates.Count - 1 ? shown : shown.PadRight(cell));
            if (i % perRow == perRow - 1 || i == Math.Min(max, candidates.Count) - 1)
                text.Append('\n');
        }
        if (candidates.Count > max)
            text.Append($"… and {candidates.Count - max} more\n");
        output.Write(text.ToString());
        output.Flush();
    }

    private static void Up(System.Text.StringBuilder frame, int rows)
    {
        if (rows > 0)
            frame.Append("\u001b[").Append(rows).Append('A');
    }
}
