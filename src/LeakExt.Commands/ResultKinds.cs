namespace LeakExt.Commands;

/// <summary>What snapshots -load or -drop did.</summary>
public enum SnapshotActionKind
{
    Loaded,
    Dropped,
}

/// <summary>How snapdiff groups its rows: by type, or by holder.</summary>
public enum DiffGrouping
{
    Type,
    Holder,
}

/// <summary>Where a heapgrowth series came from: dumps, a live process, or both.</summary>
public enum ProvenanceKind
{
    Dumps,
    Process,
    Mixed,
}

/// <summary>The documented names (docs/json.md) of the kinds the commands decide: the only place they are spelled.</summary>
public static class ResultKinds
{
    public static string Name(this SnapshotActionKind kind) => kind switch
    {
        SnapshotActionKind.Loaded => "loaded",
        SnapshotActionKind.Dropped => "dropped",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string Name(this DiffGrouping by) => by switch
    {
        DiffGrouping.Type => "type",
        DiffGrouping.Holder => "holder",
        _ => throw new ArgumentOutOfRangeException(nameof(by), by, null),
    };

    public static string Name(this ProvenanceKind kind) => kind switch
    {
        ProvenanceKind.Dumps => "dumps",
        ProvenanceKind.Process => "process",
        ProvenanceKind.Mixed => "mixed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
