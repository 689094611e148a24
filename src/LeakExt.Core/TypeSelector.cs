using LeakExt.Core.Heap;

namespace LeakExt.Core;

/// <summary>The types a <c>-type</c> argument chose, and by which rule ("exact", "short name" or "pattern").</summary>
public sealed record TypeSelection(string Text, string Rule, IReadOnlyList<string> Types)
{
    private readonly HashSet<string> _set = new(Types, StringComparer.Ordinal);

    public bool Contains(string type) => _set.Contains(type);
}

/// <summary>
/// Reads a <c>-type</c> argument the way our output names types, alternative by alternative (A|B):
/// a full name chooses that type alone ("Crawler.Hyperlink"); otherwise the short name we print
/// ("Hyperlink", "List&lt;Hyperlink&gt;", "Hyperlink[]": <see cref="FieldNames.Short"/>) chooses every
/// type printed so, exactly; otherwise it is an error that lists near names. Only an explicit glob
/// (* or ?) chooses by pattern, over full and short names (<see cref="TypePattern"/>), so
/// "Hyperlink" never quietly takes in Hyperlink[] or List&lt;Hyperlink&gt;. Each rule is tried
/// case-sensitively first, then ignoring case. Cost: one pass over the type names per alternative.
/// </summary>
public static class TypeSelector
{
    private const int Suggestions = 5;

    public static TypeSelection Select(string command, string text, IReadOnlyCollection<string> names)
    {
        TypePattern.Parse(text, command);   // the empty-pattern and empty-alternative errors
        string[] alternatives = text.Split('|', StringSplitOptions.TrimEntries);
        var chosen = new SortedSet<string>(StringComparer.Ordinal);
        var rules = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string alternative in alternatives)
        {
            (string rule, List<string> matched) = SelectOne(alternative, names);
            if (matched.Count == 0)
                throw new LeakExtException(NoMatch(command, alternative, names));
            rules.Add(rule);
            chosen.UnionWith(matched);
        }
        return new TypeSelection(text, string.Join(", ", rules), chosen.ToArray());
    }

    private static (string Rule, List<string> Matched) SelectOne(string alternative, IReadOnlyCollection<string> names)
    {
        if (alternative.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            TypePattern glob = TypePattern.Parse(alternative, "-type");
            return ("pattern", names.Where(n => glob.Matches(n) || glob.Matches(FieldNames.Short(n))).ToList());
        }
        foreach (StringComparison comparison in new[] { StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase })
        {
            List<string> exact = names.Where(n => string.Equals(n, alternative, comparison)).ToList();
            if (exact.Count > 0)
                return ("exact", exact);
            List<string> byShort = names.Where(n => string.Equals(FieldNames.Short(n), alternative, comparison)).ToList();
            if (byShort.Count > 0)
                return ("short name", byShort);
        }
        return ("", []);
    }

    /// <summary>One line: nothing is named so, the names that contain it (if any), and how to ask for a pattern.</summary>
    private static string NoMatch(string command, string alternative, IReadOnlyCollection<string> names)
    {
        if (alternative.AsSpan().IndexOfAny('*', '?') >= 0)
            return $"{command}: no type matches the pattern '{alternative}'.";
        List<string> near = names.Where(n => n.Contains(alternative, StringComparison.OrdinalIgnoreCase))
            .Select(FieldNames.Short).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (near.Count == 0)
            return $"{command}: no type is named '{alternative}' (full or short name); for a pattern write '*{alternative}*'.";
        string listed = string.Join(", ", near.Take(Suggestions)) + (near.Count > Suggestions ? $" and {near.Count - Suggestions} more" : "");
        return $"{command}: no type is named '{alternative}'; did you mean {listed}? For all of them write '*{alternative}*'.";
    }
}
