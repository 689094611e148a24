using LeakExt.Core.Files;

namespace LeakExt.Cli.Editing;

/// <summary>
/// The REPL's history: the last 500 lines, kept across sessions in ~/.leakext_history (or the file
/// $LEAKEXT_HISTORY names; set it empty for none). A history file that is a link, a FIFO or a device
/// is not ours to read or append to: it is checked before every read and every append, and then
/// history lives only in memory. A broken file never stops the session.
/// </summary>
internal sealed class CommandHistory
{
    public const int MaxLines = 500;
    private readonly List<string> _lines = new();
    private readonly string? _file;

    public CommandHistory(string? file)
    {
        _file = string.IsNullOrEmpty(file) ? null : file;
        if (Usable())
        {
            try
            {
                if (File.Exists(_file))
                    _lines.AddRange(File.ReadLines(_file!).Where(l => l.Length > 0).TakeLast(MaxLines));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>$LEAKEXT_HISTORY if set (empty: no file), else ~/.leakext_history.</summary>
    public static string? DefaultFile()
    {
        if (Environment.GetEnvironmentVariable("LEAKEXT_HISTORY") is { } chosen)
            return chosen;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 0 ? Path.Combine(home, ".leakext_history") : null;
    }

    public IReadOnlyList<string> Lines => _lines;

    public void Add(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || (_lines.Count > 0 && _lines[^1] == line))
            return;
        _lines.Add(line);
        if (_lines.Count > MaxLines)
            _lines.RemoveAt(0);
        if (!Usable())
            return;
        try
        {
            File.AppendAllLines(_file!, [line]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The newest line before index <paramref name="before"/> that contains <paramref name="query"/>, or -1.</summary>
    public int SearchBackward(string query, int before)
    {
        for (int i = Math.Min(before, _lines.Count) - 1; i >= 0; i--)
            if (_lines[i].Contains(query, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    private bool Usable() => _file is not null && FileProbe.Inspect(_file).Kind is FileKind.Regular or FileKind.Missing;
}
