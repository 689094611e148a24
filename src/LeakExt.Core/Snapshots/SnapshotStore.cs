namespace LeakExt.Core.Snapshots;

/// <summary>A snapshot kept in a session under its id (#1, #2, …), with the file it came from or went to.</summary>
public sealed record StoredSnapshot(int Id, Snapshot Snapshot, string? File)
{
    public string Label => Snapshot.Info.Name is { } name ? $"#{Id} ({name})" : $"#{Id}";
}

/// <summary>
/// The snapshots of one session. References accepted everywhere: <c>#2</c> or <c>2</c> (id),
/// a name given with <c>-name</c>, or the path of a .leaksnap file (loaded once and kept).
/// </summary>
public sealed class SnapshotStore
{
    private readonly List<StoredSnapshot> _items = new();
    private int _nextId = 1;

    public IReadOnlyList<StoredSnapshot> All => _items;

    public StoredSnapshot Add(Snapshot snapshot, string? file = null)
    {
        var stored = new StoredSnapshot(_nextId++, snapshot, file is null ? null : Path.GetFullPath(file));
        _items.Add(stored);
        return stored;
    }

    /// <summary>Forgets every snapshot; ids start again at #1 (a debugger unloading the extension).</summary>
    public void Clear()
    {
        _items.Clear();
        _nextId = 1;
    }

    public StoredSnapshot Load(string file, CancellationToken cancellationToken = default)
    {
        string fullPath = Path.GetFullPath(file);
        StoredSnapshot? existing = _items.FirstOrDefault(s => s.File == fullPath);
        return existing ?? Add(SnapshotFile.Read(file, cancellationToken), fullPath);
    }

    public StoredSnapshot Resolve(string reference, CancellationToken cancellationToken = default)
    {
        string text = reference.Trim();
        string idText = text.StartsWith('#') ? text[1..] : text;
        if (int.TryParse(idText, out int id) && _items.FirstOrDefault(s => s.Id == id) is { } byId)
            return byId;
        if (_items.LastOrDefault(s => s.Snapshot.Info.Name == text) is { } byName)
            return byName;
        if (text.StartsWith('#'))
            throw new LeakExtException($"no snapshot {text} in this session; {Known()}.");
        if (File.Exists(text) || text.EndsWith(SnapshotFile.Extension, StringComparison.OrdinalIgnoreCase))
            return Load(text, cancellationToken);
        throw new LeakExtException($"no snapshot '{text}' in this session; {Known()}, or pass a {SnapshotFile.Extension} file.");
    }

    public StoredSnapshot Drop(string reference)
    {
        StoredSnapshot stored = Resolve(reference);
        _items.Remove(stored);
        return stored;
    }

    private string Known() => _items.Count == 0
        ? "none taken yet (run 'snapshot')"
        : "known: " + string.Join(", ", _items.Select(s => s.Label));
}
