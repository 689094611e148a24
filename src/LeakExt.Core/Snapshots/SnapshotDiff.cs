namespace LeakExt.Core.Snapshots;

/// <summary>What a diff ranks by: Δbytes or Δcount.</summary>
public enum DiffSort
{
    Bytes,
    Count,
}

/// <summary>How one type changed between snapshot A and B; grew and shrank by the diff's sort (Δbytes or Δcount).</summary>
public enum ChangeKind
{
    Grew,
    Shrank,
    /// <summary>No live object in A.</summary>
    New,
    /// <summary>No live object in B.</summary>
    Vanished,
}

/// <summary>The documented names (docs/json.md) of change kinds and sorts: the only place they are spelled.</summary>
public static class DiffKinds
{
    public static string Name(this ChangeKind change) => change switch
    {
        ChangeKind.Grew => "grew",
        ChangeKind.Shrank => "shrank",
        ChangeKind.New => "new",
        ChangeKind.Vanished => "vanished",
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, null),
    };

    public static string Name(this DiffSort sort) => sort switch
    {
        DiffSort.Bytes => "bytes",
        DiffSort.Count => "count",
        _ => throw new ArgumentOutOfRangeException(nameof(sort), sort, null),
    };
}

/// <summary>How one type changed between snapshot A and B.</summary>
public sealed record TypeDelta(string Type, string Module, long CountA, long CountB, long BytesA, long BytesB, ChangeKind Change)
{
    public long DeltaCount => CountB - CountA;
    public long DeltaBytes => BytesB - BytesA;
}

/// <summary>Heap totals on both sides.</summary>
public sealed record TotalsDelta(
    long LiveCountA, long LiveCountB, long LiveBytesA, long LiveBytesB,
    long DeadBytesA, long DeadBytesB, long FreeBytesA, long FreeBytesB,
    long CommittedBytesA, long CommittedBytesB, long FinalizerQueueA, long FinalizerQueueB);

/// <summary>The growth between two snapshots: changed types ranked by growth, largest first.</summary>
public sealed record SnapshotDiff(
    string A,
    string B,
    IReadOnlyList<TypeDelta> Rows,
    int ChangedTypes,
    int NewTypes,
    int VanishedTypes,
    TotalsDelta Totals);

public static class SnapshotDiffer
{
    /// <param name="top">Rows to keep (0 = all).</param>
    /// <param name="types">Only these types (<see cref="TypeSelector"/>); null for all.</param>
    public static SnapshotDiff Compare(StoredSnapshot a, StoredSnapshot b, int top = 0, TypeSelection? types = null, DiffSort sort = DiffSort.Bytes)
    {
        Dictionary<TypeKey, TypeStats> before = LiveTypes(a.Snapshot);
        Dictionary<TypeKey, TypeStats> after = LiveTypes(b.Snapshot);

        var rows = new List<TypeDelta>();
        int newTypes = 0, vanished = 0;
        foreach (TypeKey key in before.Keys.Union(after.Keys))
        {
            if (types is not null && !types.Contains(key.Type))
                continue;
            before.TryGetValue(key, out TypeStats? x);
            after.TryGetValue(key, out TypeStats? y);
            long countA = x?.Count ?? 0, countB = y?.Count ?? 0, bytesA = x?.Bytes ?? 0, bytesB = y?.Bytes ?? 0;
            if (countA == countB && bytesA == bytesB)
                continue;
            ChangeKind change = countA == 0 ? ChangeKind.New : countB == 0 ? ChangeKind.Vanished
                : (sort == DiffSort.Count ? countB - countA : bytesB - bytesA) >= 0 ? ChangeKind.Grew : ChangeKind.Shrank;
            if (change == ChangeKind.New) newTypes++;
            if (change == ChangeKind.Vanished) vanished++;
            rows.Add(new TypeDelta(key.Type, key.Module, countA, countB, bytesA, bytesB, change));
        }

        IOrderedEnumerable<TypeDelta> ordered = sort == DiffSort.Count
            ? rows.OrderByDescending(r => r.DeltaCount).ThenByDescending(r => r.DeltaBytes)
            : rows.OrderByDescending(r => r.DeltaBytes).ThenByDescending(r => r.DeltaCount);
        List<TypeDelta> ranked = ordered.ThenBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.Module, StringComparer.Ordinal).ToList();
        int changed = ranked.Count;
        if (top > 0 && ranked.Count > top)
            ranked = ranked.Take(top).ToList();

        Snapshot sa = a.Snapshot, sb = b.Snapshot;
        var totals = new TotalsDelta(sa.Totals.LiveCount, sb.Totals.LiveCount, sa.Totals.LiveBytes, sb.Totals.LiveBytes,
            sa.Totals.DeadBytes, sb.Totals.DeadBytes, sa.Totals.FreeBytes, sb.Totals.FreeBytes,
            sa.Totals.CommittedBytes, sb.Totals.CommittedBytes, sa.FinalizerQueueLength, sb.FinalizerQueueLength);
        return new SnapshotDiff(a.Label, b.Label, ranked, changed, newTypes, vanished, totals);
    }

    /// <summary>The type names either snapshot has (types and holders), for <see cref="TypeSelector"/>.</summary>
    public static string[] TypeNames(StoredSnapshot a, StoredSnapshot b) =>
        a.Snapshot.Types.Select(t => t.Type).Concat(b.Snapshot.Types.Select(t => t.Type))
            .Concat(a.Snapshot.Holders.Select(h => h.Type)).Concat(b.Snapshot.Holders.Select(h => h.Type))
            .Distinct(StringComparer.Ordinal).ToArray();

    private static Dictionary<TypeKey, TypeStats> LiveTypes(Snapshot snapshot)
    {
        var map = new Dictionary<TypeKey, TypeStats>(snapshot.Types.Count);
        foreach (TypeStats row in snapshot.Types)
            if (row.Count > 0)
                map[row.Key] = row;
        return map;
    }
}
