namespace LeakExt.Commands.Framework;

/// <summary>
/// "Did you mean" for mistyped command and option names, and what SOS's names are called here.
/// Closeness is the optimal-string-alignment distance (Levenshtein plus swapping two neighbours,
/// so "snapshto" is one step from "snapshot"), case-insensitive; a typed prefix of exactly one
/// name also counts. Names are a few dozen short words: the O(n·m) table per pair is nothing.
/// </summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="typed"/>, or null when none is close enough to be a typo of it.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string lower = typed.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        var prefixed = new List<string>();
        foreach (string candidate in candidates)
        {
            string other = candidate.ToLowerInvariant();
            if (lower.Length >= 2 && other.StartsWith(lower, StringComparison.Ordinal))
                prefixed.Add(candidate);
            int distance = Distance(lower, other);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        // One step per three letters, at least one: "depht" → "depth", "snapdif" → "snapdiff", not "type" → "top".
        int allowed = Math.Max(1, Math.Min(typed.Length, best?.Length ?? 0) / 3);
        if (best is not null && bestDistance <= allowed)
            return best;
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>" (did you mean 'X'?)" or nothing.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates, string prefix = "") =>
        Closest(typed, candidates) is { } match ? $" (did you mean '{prefix}{match}'?)" : "";

    public static int Distance(string a, string b)
    {
        // Rows i-2, i-1 and i of the dynamic-programming table.
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    value = Math.Min(value, before[j - 2] + 1);
                current[j] = value;
            }
            (before, previous, current) = (previous, current, before);
        }
        return previous[b.Length];
    }

    /// <summary>
    /// SOS commands a .NET developer types first, and what answers the same question here
    /// (the hint is a whole sentence after "'NAME' is an SOS command; ").
    /// </summary>
    public static string? ForSosCommand(string name, IReadOnlyList<string> arguments)
    {
        bool typeOption = arguments.Any(a => a.TrimStart('-').Equals("type", StringComparison.OrdinalIgnoreCase));
        string? hint = name.ToLowerInvariant() switch
        {
            "dumpheap" when typeOption => "here 'snapdiff -type PATTERN' counts a type's live objects, 'backrefs -type T' shows who holds them and 'retained -type T' what they keep alive",
            "dumpheap" or "heapstat" or "dumpgen" => "use 'snapshot': live objects per type and generation (as 'dumpheap -stat -live')",
            "gcroot" => "use 'rootpath ADDR' (the shortest path from a root) or 'backrefs ADDR' (all referrers)",
            "gcwhere" or "eeheap" => "use 'snapshot' for the heap per generation and GC memory, 'fragmentation' for segments and free space",
            "objsize" => "use 'retained ADDR' or 'retained -type T': what releasing it gives back (exact, through the dominator tree)",
            "gchandles" or "finalizequeue" => "use 'snapshot': it counts roots by kind, handles included, and the finalizer queue",
            "dumpobj" or "do" => "use 'backrefs ADDR' for who refers to it and 'retained ADDR' for what it keeps alive",
            _ => null,
        };
        return hint is null ? null : $"'{name}' is an SOS command; {hint}.";
    }
}
