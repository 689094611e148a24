using LeakExt.Commands.Framework;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Rendering;

public static class SnapshotRenderer
{
    public static void Render(SnapshotResult r, TextOutput output)
    {
        output.WriteLine($"Snapshot {r.Snapshot.Label} of {r.Source}: .NET {r.RuntimeVersion}, {(r.ServerGc ? "server" : "workstation")} GC, " +
                         $"{r.HeapCount} heap{(r.HeapCount == 1 ? "" : "s")}; {r.Reader} reader, {Format.Seconds(r.WalkSeconds)}");
        if (r.File is not null)
            output.WriteLine($"Saved to {r.File}");
        output.WriteLine();

        SnapshotTotals t = r.Totals;
        var totals = new TextTable(("", false), ("Objects", true), ("Bytes", true), ("", false));
        totals.Add("Live", Format.Number(t.LiveCount), Format.Number(t.LiveBytes), Format.Size(t.LiveBytes));
        totals.Add("Dead", Format.Number(t.DeadCount), Format.Number(t.DeadBytes), "unreachable, not yet collected");
        totals.Add("Free", Format.Number(t.FreeCount), Format.Number(t.FreeBytes), "free space between objects");
        totals.Add("Committed", "", Format.Number(t.GcCommittedBytes), Format.Size(t.GcCommittedBytes) + " in regions in use (SOS eeheap -gc)");
        totals.Add("Free regions", "", Format.Number(t.FreeRegionBytes), Format.Size(t.FreeRegionBytes) + " kept by the GC for reuse");
        totals.Add("GC memory", "", Format.Number(t.GcMemoryBytes), Format.Size(t.GcMemoryBytes) + " committed by the GC in all");
        totals.WriteTo(output);
        output.WriteLine();

        var generations = new TextTable(("Generation", false), ("Live", true), ("Live bytes", true), ("Dead", true), ("Dead bytes", true), ("Free bytes", true));
        foreach (GenerationTotals g in t.Generations)
            generations.Add(g.Generation, Format.Number(g.LiveCount), Format.Number(g.LiveBytes), Format.Number(g.DeadCount),
                Format.Number(g.DeadBytes), Format.Number(g.FreeBytes));
        generations.WriteTo(output);
        output.WriteLine();

        if (r.Memory is { } m)
            output.WriteLine($"Process memory ({(m.Source == "dump" ? "regions in the dump" : "resident")}): {Format.Size(m.TotalBytes)} = GC heap {Format.Size(m.GcMemoryBytes)}, " +
                             $"runtime native {Format.Size(m.RuntimeNativeBytes)}, mapped files {Format.Size(m.MappedImageBytes)}, stacks {Format.Size(m.StackBytes)}, other native {Format.Size(m.OtherNativeBytes)}");
        if (r.Pinning is { PinnedObjects: > 0 } p)
            output.WriteLine($"Pinned: {Format.Number(p.PinnedObjects)} objects, {Format.Size(p.FreeBytesBeforePinned)} of free space right before them; " +
                             $"{p.LargestFreeNextToPinned} of the {p.LargestFreeBlocks} largest free blocks end at a pinned object");
        output.WriteLine("Roots: " + RootSummary(r.Roots));
        output.WriteLine($"Finalizer queue: {Format.Number(r.FinalizerQueueLength)} ready to run; {Format.Number(r.FinalizableObjects)} objects registered for finalization");
        SnapshotDiagnostics d = r.Diagnostics;
        if (d.CorruptObjects + d.InvalidReferences + d.UnresolvedRoots + d.UnreadableBytes > 0)
            output.WriteLine($"Warning: {Format.Number(d.CorruptObjects)} corrupt objects, {Format.Number(d.InvalidReferences)} invalid references, " +
                             $"{Format.Number(d.UnresolvedRoots)} roots to no object, {Format.Number(d.UnreadableBytes)} unreadable heap bytes (counted, skipped)");
        long throwing = d.ConservativeStackThreads - d.IncompleteStackThreads;
        if (throwing > 0)
            output.WriteLine($"Note: {Threads(throwing)} throwing an exception; the runtime's stack walk crashes on such a thread, " +
                             $"so {(throwing == 1 ? "its stack was" : "their stacks were")} scanned conservatively (holders say 'conservative scan').");
        if (d.IncompleteStackThreads > 0)
            output.WriteLine($"Note: {Threads(d.IncompleteStackThreads)} stopped in code the runtime's stack walk cannot name (mid-JIT or in a stub), " +
                             $"where the walk ends early, so {(d.IncompleteStackThreads == 1 ? "its whole stack was" : "their whole stacks were")} scanned conservatively (holders say 'conservative scan').");
        output.WriteLine();

        string shown = r.Types.Count < r.TypeCount ? $"Top {r.Types.Count} of {Format.Number(r.TypeCount)}" : $"All {Format.Number(r.TypeCount)}";
        output.WriteLine($"{shown} types with live objects, by live bytes:");
        var types = new TextTable(("Count", true), ("Bytes", true), ("Gen0", true), ("Gen1", true), ("Gen2", true), ("LOH", true), ("POH", true), ("Frozen", true), ("Type", false));
        foreach (TypeRow row in r.Types)
            types.Add(Format.Number(row.Count), Format.Number(row.Bytes), Gen(row, "gen0"), Gen(row, "gen1"), Gen(row, "gen2"),
                Gen(row, "loh"), Gen(row, "poh"), Gen(row, "frozen"), TypeLabel(row.Type, row.Module));
        types.WriteTo(output);

        if (r.Holders.Count > 0)
        {
            output.WriteLine();
            string holdersShown = r.Holders.Count < r.HolderCount ? $"Top {r.Holders.Count} of {Format.Number(r.HolderCount)}" : $"All {Format.Number(r.HolderCount)}";
            output.WriteLine($"{holdersShown} (type, holder) pairs, by live bytes:");
            var holders = new TextTable(("Count", true), ("Bytes", true), ("Type", false), ("Holder", false));
            foreach (HolderRow row in r.Holders)
                holders.Add(Format.Number(row.Count), Format.Number(row.Bytes), FieldNamesShort(row.Type), row.Holder);
            holders.WriteTo(output);
        }
    }

    private static string FieldNamesShort(string type) => LeakExt.Core.Heap.FieldNames.Short(type);

    private static string Gen(TypeRow row, string generation) =>
        row.ByGeneration.TryGetValue(generation, out GenerationCount? g) ? Format.Number(g.Count) : "";

    public static string TypeLabel(string type, string module) => module.Length == 0 ? type : $"{type}  [{module}]";

    private static string Threads(long count) => $"{Format.Number(count)} thread{(count == 1 ? " was" : "s were")}";

    internal static string RootSummary(IReadOnlyDictionary<string, long> roots)
    {
        static bool KeepsAlive(string kind) => !kind.StartsWith("weak", StringComparison.Ordinal) && kind != "dependent-handle";
        string strong = string.Join(", ", roots.Where(r => KeepsAlive(r.Key)).OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} {Format.Number(r.Value)}"));
        string other = string.Join(", ", roots.Where(r => !KeepsAlive(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} {Format.Number(r.Value)}"));
        return (strong.Length == 0 ? "none" : strong) + (other.Length == 0 ? "" : $" (not keeping alive alone: {other})");
    }
}
