namespace LeakExt.Core;

/// <summary>
/// A <c>-type</c> pattern: alternatives separated by '|', each a glob (* any run, ? one character,
/// matching the whole name) or, without wildcards, a substring; case-insensitive (ordinal).
/// Matched by our own matcher, never a regular expression: a glob is cut at its stars into
/// literal pieces, the first anchored at the start, the last at the end, each middle one found at
/// its leftmost place after the previous (leftmost is always right for a glob, so nothing is
/// retried). Cost: O(name length × longest piece) per alternative, whatever the pattern, so
/// <c>*L*L*L*X</c> against a 1,000-character name takes microseconds, not the ages a
/// backtracking regex takes.
/// </summary>
public sealed class TypePattern
{
    private readonly string[][] _alternatives;   // per alternative: the literal pieces between stars
    private readonly bool[] _globs;

    public string Text { get; }

    private TypePattern(string text, string[][] alternatives, bool[] globs)
    {
        Text = text;
        _alternatives = alternatives;
        _globs = globs;
    }

    /// <summary>The pattern, or a one-line error for an empty one (it would match everything by accident).</summary>
    public static TypePattern Parse(string text, string command)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new LeakExtException($"{command}: -type needs a pattern; an empty one would match every type (use '*' for that).");
        string[] parts = text.Split('|', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
            throw new LeakExtException($"{command}: -type '{text}' has an empty alternative; write A|B with a name on each side.");
        var alternatives = new string[parts.Length][];
        var globs = new bool[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            globs[i] = parts[i].AsSpan().IndexOfAny('*', '?') >= 0;
            alternatives[i] = globs[i] ? parts[i].Split('*') : [parts[i]];
        }
        return new TypePattern(text, alternatives, globs);
    }

    /// <summary>A pattern, or null (every type) when none was given.</summary>
    public static TypePattern? ParseOptional(string? text, string command) => text is null ? null : Parse(text, command);

    public bool Matches(string name)
    {
        for (int i = 0; i < _alternatives.Length; i++)
        {
            if (_globs[i] ? GlobMatches(_alternatives[i], name) : name.Contains(_alternatives[i][0], StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary><paramref name="pieces"/> are the glob cut at its stars: at least two pieces when it had a star.</summary>
    private static bool GlobMatches(string[] pieces, string name)
    {
        ReadOnlySpan<char> text = name;
        string first = pieces[0];
        if (pieces.Length == 1)
            return first.Length == text.Length && PieceAt(first, text, 0);
        string last = pieces[^1];
        if (first.Length + last.Length > text.Length || !PieceAt(first, text, 0) || !PieceAt(last, text, text.Length - last.Length))
            return false;
        int position = first.Length;
        int end = text.Length - last.Length;
        for (int p = 1; p < pieces.Length - 1; p++)
        {
            int at = Find(pieces[p], text[position..end]);
            if (at < 0)
                return false;
            position += at + pieces[p].Length;
        }
        return true;
    }

    /// <summary>The leftmost place <paramref name="piece"/> ('?' matching any one character) occurs in <paramref name="text"/>, or -1.</summary>
    private static int Find(string piece, ReadOnlySpan<char> text)
    {
        if (piece.Length == 0)
            return 0;
        if (!piece.Contains('?'))
            return text.IndexOf(piece, StringComparison.OrdinalIgnoreCase);
        for (int start = 0; start + piece.Length <= text.Length; start++)
            if (PieceAt(piece, text, start))
                return start;
        return -1;
    }

    private static bool PieceAt(string piece, ReadOnlySpan<char> text, int start)
    {
        for (int i = 0; i < piece.Length; i++)
        {
            char p = piece[i];
            if (p != '?' && char.ToUpperInvariant(p) != char.ToUpperInvariant(text[start + i]))
                return false;
        }
        return true;
    }
}
