namespace LeakExt.Core.Capture;

/// <summary>A checkpoint a target program reached: its number and label, its process id, and the facts it printed.</summary>
public sealed record CheckpointReached(int ProcessId, int Number, string Label, IReadOnlyDictionary<string, long> Facts);

/// <summary>
/// How a target program tells a runner that it reached a checkpoint: it prints
/// <c>LEAKEXT-CHECKPOINT &lt;number&gt; &lt;label&gt; [key=value …] [pid=&lt;its process id&gt;]</c> on stdout,
/// then waits for one line on stdin. The pid matters when the program is not the runner's own
/// child; the key=value facts (whole numbers, e.g. <c>gc-committed=10485760</c>) are what the
/// program knows about itself at that moment, for tests to compare with what a dump shows.
/// </summary>
public static class CheckpointProtocol
{
    public const string Prefix = "LEAKEXT-CHECKPOINT ";

    public static bool TryParse(string line, out int number, out string label) => TryParse(line, out number, out label, out _);

    public static bool TryParse(string line, out int number, out string label, out int? processId) =>
        TryParse(line, out number, out label, out processId, out _);

    public static bool TryParse(string line, out int number, out string label, out int? processId, out IReadOnlyDictionary<string, long> facts)
    {
        number = 0;
        label = "";
        processId = null;
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        facts = found;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var words = line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        // Trailing key=value words are facts (pid among them); the words before them are the number and label.
        while (words.Count > 1 && words[^1].IndexOf('=') is int equals && equals > 0
               && long.TryParse(words[^1].AsSpan(equals + 1), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long value))
        {
            found[words[^1][..equals]] = value;
            words.RemoveAt(words.Count - 1);
        }
        if (found.Remove("pid", out long pid) && pid is > 0 and <= int.MaxValue)
            processId = (int)pid;
        if (words.Count == 0 || !int.TryParse(words[0], out number))
            return false;
        label = string.Join(' ', words.Skip(1));
        return true;
    }
}
