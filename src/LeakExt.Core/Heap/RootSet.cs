using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>What kind of root keeps an object alive. Names (<see cref="RootKinds.Name"/>) are part of the JSON and file formats.</summary>
public enum RootKind : byte
{
    StrongHandle,
    PinnedHandle,
    AsyncPinnedHandle,
    RefCountedHandle,
    SizedRefHandle,
    Stack,
    FinalizerQueue,
    Static,
    ThreadStatic,
    Other,
}

public static class RootKinds
{
    public static string Name(RootKind kind) => kind switch
    {
        RootKind.StrongHandle => "strong-handle",
        RootKind.PinnedHandle => "pinned-handle",
        RootKind.AsyncPinnedHandle => "async-pinned-handle",
        RootKind.RefCountedHandle => "ref-counted-handle",
        RootKind.SizedRefHandle => "sized-ref-handle",
        RootKind.Stack => "stack",
        RootKind.FinalizerQueue => "finalizer-queue",
        RootKind.Static => "static",
        RootKind.ThreadStatic => "thread-static",
        _ => "other",
    };

    public static RootKind FromClrMd(ClrRootKind kind) => kind switch
    {
        ClrRootKind.StrongHandle => RootKind.StrongHandle,
        ClrRootKind.PinnedHandle => RootKind.PinnedHandle,
        ClrRootKind.AsyncPinnedHandle => RootKind.AsyncPinnedHandle,
        ClrRootKind.RefCountedHandle => RootKind.RefCountedHandle,
        ClrRootKind.SizedRefHandle => RootKind.SizedRefHandle,
        ClrRootKind.Stack => RootKind.Stack,
        ClrRootKind.FinalizerQueue => RootKind.FinalizerQueue,
        ClrRootKind.StaticVar => RootKind.Static,
        ClrRootKind.ThreadStaticVar => RootKind.ThreadStatic,
        _ => RootKind.Other,
    };
}

/// <summary>
/// The strong roots of a target, and the handles that do not keep objects alive on their own.
/// Layout: parallel arrays, per root its object address (8 B) and kind (1 B); dependent handles
/// as (primary, secondary) pairs (16 B each). Collected once per walk: O(handles + stack slots).
/// </summary>
internal sealed class RootSet
{
    public required ulong[] Objects { get; init; }
    public required RootKind[] Kinds { get; init; }
    public required (ulong Primary, ulong Secondary)[] DependentHandles { get; init; }

    /// <summary>Root counts by kind name, including handles that are not strong (weak, dependent).</summary>
    public required IReadOnlyDictionary<string, long> CountsByKind { get; init; }

    /// <summary>Objects whose finalizer is due to run (the f-reachable queue).</summary>
    public required long FinalizerQueueLength { get; init; }

    /// <summary>Objects registered for finalization that are not yet due.</summary>
    public required long FinalizableObjects { get; init; }

    public static RootSet Collect(ClrRuntime runtime, CancellationToken cancellationToken)
    {
        ClrHeap heap = runtime.Heap;
        var objects = new List<ulong>();
        var kinds = new List<RootKind>();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long finalizerQueue = 0;

        foreach (ClrRoot root in heap.EnumerateRoots())
        {
            RootKind kind = RootKinds.FromClrMd(root.RootKind);
            if (kind == RootKind.FinalizerQueue)
                finalizerQueue++;
            Increment(counts, RootKinds.Name(kind));
            if ((objects.Count & 4095) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (root.Object.Address == 0)
                continue;
            objects.Add(root.Object.Address);
            kinds.Add(kind);
        }

        var dependents = new List<(ulong, ulong)>();
        foreach (ClrHandle handle in runtime.EnumerateHandles())
        {
            switch (handle.HandleKind)
            {
                case ClrHandleKind.Dependent:
                    Increment(counts, "dependent-handle");
                    if (handle.Object.Address != 0 && handle.Dependent.Address != 0)
                        dependents.Add((handle.Object.Address, handle.Dependent.Address));
                    break;
                case ClrHandleKind.WeakShort:
                    Increment(counts, "weak-short-handle");
                    break;
                case ClrHandleKind.WeakLong:
                    Increment(counts, "weak-long-handle");
                    break;
                case ClrHandleKind.WeakWinRT:
                    Increment(counts, "weak-winrt-handle");
                    break;
            }
        }

        long finalizable = 0;
        foreach (ClrObject _ in heap.EnumerateFinalizableObjects())
            finalizable++;

        return new RootSet
        {
            Objects = objects.ToArray(),
            Kinds = kinds.ToArray(),
            DependentHandles = dependents.ToArray(),
            CountsByKind = counts,
            FinalizerQueueLength = finalizerQueue,
            FinalizableObjects = finalizable,
        };
    }

    private static void Increment(SortedDictionary<string, long> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out long n) ? n + 1 : 1;
}
