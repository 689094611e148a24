using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Targets;

namespace LeakExt.Cli.Editing;

/// <summary>What Tab offers: the text from <see cref="Start"/> to the cursor is replaced by one of <see cref="Candidates"/>.</summary>
internal sealed record Completion(int Start, IReadOnlyList<string> Candidates)
{
    public static readonly Completion None = new(0, []);
}

/// <summary>
/// Tab completion at the leakext&gt; prompt, from the command declarations and the session:
/// the first word completes to a command; "-…" to that command's options; the value of an option
/// to what it takes — FILE and DIR to paths, T and PATTERN (-type) to type names (the session's
/// latest snapshot's, else the dump's), a|b choices to the choices, -drop to the snapshots; snapdiff's and
/// heapgrowth's arguments to snapshot names and paths; help's to commands. Text with a space
/// (a generic type name) is put in double quotes when it is inserted (<see cref="Insertion"/>).
/// </summary>
internal sealed class ReplCompletion(LeakSession session)
{
    private static readonly string[] ReplWords = ["exit", "quit"];

    public Completion Complete(string line, int cursor)
    {
        string before = line[..cursor];
        int start = WordStart(before);
        string word = before[start..];
        bool quoted = word.StartsWith('"');
        string typed = quoted ? word[1..] : word;
        string[] previous = before[..start].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        IEnumerable<string> offered = previous.Length == 0
            ? CommandTable.All.Select(c => (typed.StartsWith('!') ? "!" : "") + c.Name).Concat(ReplWords)
            : Values(CommandTable.Find(previous[0]), previous, typed);
        string[] matches = offered
            .Where(c => c.StartsWith(typed, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        return new Completion(start, matches);
    }

    private IEnumerable<string> Values(CommandDefinition? command, string[] previous, string typed)
    {
        if (command is null)
            return [];
        if (typed.StartsWith('-'))
            return command.OptionList.Select(o => "-" + o.Name);
        string last = previous[^1];
        OptionInfo? option = previous.Length > 1 && last.StartsWith('-')
            ? command.OptionList.FirstOrDefault(o => o.Name.Equals(last.TrimStart('-'), StringComparison.OrdinalIgnoreCase))
            : null;
        if (option is { ValueName: { } value })
            return value switch
            {
                "FILE" or "DIR" => Paths(typed),
                "T" or "PATTERN" => TypeNames(),
                "ID" => SnapshotNames(),
                _ when value.Contains('|') => value.Split('|'),
                _ => [],
            };
        return command.Name switch
        {
            "snapdiff" or "heapgrowth" => SnapshotNames().Concat(Paths(typed)),
            "help" => CommandTable.All.Select(c => c.Name),
            _ => [],
        };
    }

    private IEnumerable<string> SnapshotNames() =>
        session.Snapshots.All.SelectMany(s => s.Snapshot.Info.Name is { } name ? new[] { "#" + s.Id, name } : ["#" + s.Id]);

    /// <summary>
    /// The session's latest snapshot's types; without one, on a dump, the heap's (<see cref="TargetSession.TypeNames"/>).
    /// A live process is never attached (and suspended) for a Tab.
    /// </summary>
    private IEnumerable<string> TypeNames()
    {
        if (session.Snapshots.All.Count > 0)
            return session.Snapshots.All[^1].Snapshot.Types.Select(t => t.Type);
        if (session.Target is OpenTargetProvider dump)
            return dump.Use(target => target.TypeNames(), CancellationToken.None);
        return [];
    }

    /// <summary>Files and folders (with a trailing '/') that start with what was typed; ~/ is the home folder.</summary>
    internal static IEnumerable<string> Paths(string typed)
    {
        int slash = typed.LastIndexOf('/');
        string folderPart = slash >= 0 ? typed[..(slash + 1)] : "";
        string folder = folderPart.Length == 0 ? "."
            : folderPart.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), folderPart[2..])
                : folderPart;
        try
        {
            var entries = new List<string>();
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder))
            {
                string name = Path.GetFileName(entry);
                if (name.StartsWith('.') && !typed[(slash + 1)..].StartsWith('.'))
                    continue;
                entries.Add(folderPart + name + (Directory.Exists(entry) ? "/" : ""));
            }
            return entries;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return [];
        }
    }

    /// <summary>Where the word under the cursor starts: after the last space outside double quotes.</summary>
    private static int WordStart(string before)
    {
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < before.Length; i++)
        {
            if (before[i] == '"')
                quoted = !quoted;
            else if (before[i] == ' ' && !quoted)
                start = i + 1;
        }
        return start;
    }

    /// <summary>What replaces the word: the text, in double quotes if it has a space (left open unless <paramref name="whole"/>).</summary>
    public static string Insertion(string text, bool whole) =>
        text.Contains(' ') ? "\"" + text + (whole ? "\"" : "") : text;

    /// <summary>The longest text every candidate starts with.</summary>
    public static string CommonPrefix(IReadOnlyList<string> candidates)
    {
        string prefix = candidates[0];
        foreach (string candidate in candidates)
        {
            int n = 0;
            while (n < prefix.Length && n < candidate.Length && prefix[n] == candidate[n])
                n++;
            prefix = prefix[..n];
        }
        return prefix;
    }
}
