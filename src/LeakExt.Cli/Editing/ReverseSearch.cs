namespace LeakExt.Cli.Editing;

/// <summary>
/// Ctrl-R: an incremental search backwards through the history, as in bash. Each typed character
/// narrows the query from the current match; Ctrl-R again goes to an older match; Backspace widens
/// the query and starts again from the newest line. <see cref="Match"/> is -1 until something matches.
/// </summary>
internal sealed class ReverseSearch(string originalText, int originalCursor, int historyCount)
{
    private readonly int _historyCount = historyCount;

    public string OriginalText { get; } = originalText;
    public int OriginalCursor { get; } = originalCursor;
    public string Query { get; private set; } = "";
    public int Match { get; private set; } = -1;
    public bool Failed { get; private set; }

    public void Extend(char c, CommandHistory history)
    {
        Query += c;
        Find(history, Match >= 0 ? Match + 1 : _historyCount);
    }

    public void Older(CommandHistory history)
    {
        if (Query.Length > 0)
            Find(history, Match >= 0 ? Match : _historyCount);
    }

    public void Shorten(CommandHistory history)
    {
        if (Query.Length == 0)
            return;
        Query = Query[..^1];
        Match = -1;
        Failed = false;
        if (Query.Length > 0)
            Find(history, _historyCount);
    }

    /// <summary>Where the query starts in the matched line (the cursor goes there, as in bash).</summary>
    public int MatchCursor(CommandHistory history) =>
        Match < 0 ? 0 : Math.Max(0, history.Lines[Match].IndexOf(Query, StringComparison.OrdinalIgnoreCase));

    private void Find(CommandHistory history, int before)
    {
        int found = history.SearchBackward(Query, before);
        Failed = found < 0;
        if (found >= 0)
            Match = found;
    }
}
