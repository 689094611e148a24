namespace LeakExt.Core.Snapshots;

/// <summary>One type's change under one holder, with an example object from the later snapshot (or the earlier one if it vanished).</summary>
public sealed record HolderTypeDelta(string Type, string Module, long CountA, long CountB, long BytesA, long BytesB, ulong ExampleAddress)
{
    public long DeltaCount => CountB - CountA;
    public long DeltaBytes => BytesB - BytesA;
}

/// <summary>How much one holder gained (or lost) between A and B, by type.</summary>
public sealed record HolderDelta(string Holder, long CountA, long CountB, long BytesA, long BytesB, IReadOnlyList<HolderTypeDelta> Types)
{
    public long DeltaCount => CountB - CountA;
    public long DeltaBytes => BytesB - BytesA;
}

public sealed record HolderDiff(string A, string B, IReadOnlyList<HolderDelta> Holders, int ChangedHolders);

public static class HolderDiffer
{
    /// <summary>Holders ranked by growth (Δbytes or Δcount), each with its changed types; matched by holder text, type and module.</summary>
    public static HolderDiff Compare(StoredSnapshot a, StoredSnapshot b, int top = 0, TypeSelection? selection = null, DiffSort sort = DiffSort.Bytes)
    {
        if (a.Snapshot.Holders.Count == 0 || b.Snapshot.Holders.Count == 0)
            throw new LeakExtException($"{(a.Snapshot.Holders.Count == 0 ? a.Label : b.Label)} has no holder data (saved by an earlier LeakExt); take it again to diff by holder.");
        Func<string, bool> matches = selection is null ? _ => true : selection.Contains;
        var before = a.Snapshot.Holders.Where(h => matches(h.Type)).ToDictionary(h => (h.Holder, h.Type, h.Module));
        var after = b.Snapshot.Holders.Where(h => matches(h.Type)).ToDictionary(h => (h.Holder, h.Type, h.Module));

        var changes = new List<HolderDelta>();
        foreach (var group in before.Keys.Union(after.Keys).GroupBy(k => k.Holder))
        {
            var types = new List<HolderTypeDelta>();
            foreach (var key in group)
            {
                before.TryGetValue(key, out HolderStats? x);
                after.TryGetValue(key, out HolderStats? y);
                if ((x?.Count ?? 0) == (y?.Count ?? 0) && (x?.Bytes ?? 0) == (y?.Bytes ?? 0))
                    continue;
                types.Add(new HolderTypeDelta(key.Type, key.Module, x?.Count ?? 0, y?.Count ?? 0, x?.Bytes ?? 0, y?.Bytes ?? 0,
                    y?.ExampleAddress ?? x?.ExampleAddress ?? 0));
            }
            if (types.Count == 0)
                continue;
            types = (sort == DiffSort.Count ? types.OrderByDescending(t => t.DeltaCount).ThenByDescending(t => t.DeltaBytes)
                                            : types.OrderByDescending(t => t.DeltaBytes).ThenByDescending(t => t.DeltaCount))
                .ThenBy(t => t.Type, StringComparer.Ordinal).ToList();
            changes.Add(new HolderDelta(group.Key, types.Sum(t => t.CountA), types.Sum(t => t.CountB), types.Sum(t => t.BytesA), types.Sum(t => t.BytesB), types));
        }

        var ranked = (sort == DiffSort.Count ? changes.OrderByDescending(h => h.DeltaCount).ThenByDescending(h => h.DeltaBytes)
                                             : changes.OrderByDescending(h => h.DeltaBytes).ThenByDescending(h => h.DeltaCount))
            .ThenBy(h => h.Holder, StringComparer.Ordinal).ToList();
        int changed = ranked.Count;
        if (top > 0 && ranked.Count > top)
            ranked = ranked.Take(top).ToList();
        return new HolderDiff(a.Label, b.Label, ranked, changed);
    }
}
