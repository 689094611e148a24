using LeakExt.Core.Retention;
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

    /// <summary>A word on the stack of a thread the runtime's stack walk cannot run on (see <see cref="RootEnumerator"/>) that is the start of an object.</summary>
    ConservativeStack,
}

/// <summary>
/// Handles that do not keep their target alive on their own (a dependent handle's secondary lives
/// only as long as its primary). Root counts name them beside the root kinds (<see cref="RootKinds.Name(WeakHandleKind)"/>).
/// </summary>
public enum WeakHandleKind : byte
{
    Dependent,
    WeakShort,
    WeakLong,
    WeakWinRT,

    /// <summary>Kind 10, .NET 9+: the statics of collectible assemblies.</summary>
    WeakInterior,
}

/// <summary>The documented names (docs/snapshot-format.md, docs/json.md) of root and handle kinds: the only place they are spelled.</summary>
public static class RootKinds
{
    public static string Name(this RootKind kind) => kind switch
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
        RootKind.ConservativeStack => "conservative-stack",
        _ => "other",
    };

    public static string Name(this WeakHandleKind kind) => kind switch
    {
        WeakHandleKind.Dependent => "dependent-handle",
        WeakHandleKind.WeakShort => "weak-short-handle",
        WeakHandleKind.WeakLong => "weak-long-handle",
        WeakHandleKind.WeakWinRT => "weak-winrt-handle",
        WeakHandleKind.WeakInterior => "weak-interior-handle",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
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
/// The strong roots of a target, the references no field holds (<see cref="HiddenEdges"/>), and the
/// handles that do not keep objects alive on their own. Layout: parallel arrays, per root its
/// object address (8 B), kind (1 B) and name id (4 B). Collected once per walk: O(handles + stack slots).
/// </summary>
internal sealed class RootSet
{
    public required ulong[] Objects { get; init; }
    public required RootKind[] Kinds { get; init; }

    /// <summary>Per root, its name: an index into <see cref="Names"/> (e.g. "static App.Cache.s_items", "thread 0x1f2e Program.Main").</summary>
    public required int[] NameIds { get; init; }
    public required IReadOnlyList<string> Names { get; init; }
    /// <summary>Dependent handles (a primary keeps its secondary), and the statics of collectible types (their LoaderAllocator keeps them).</summary>
    public required HiddenEdges Hidden { get; init; }

    /// <summary>Weak handles with a target: (handle address, target object, kind). They keep nothing alive.</summary>
    public (ulong Handle, ulong Target, WeakHandleKind Kind)[] WeakHandles { get; init; } = [];

    /// <summary>Root counts by kind name, including handles that are not strong (weak, dependent).</summary>
    public required IReadOnlyDictionary<string, long> CountsByKind { get; init; }

    /// <summary>Objects whose finalizer is due to run (the f-reachable queue).</summary>
    public required long FinalizerQueueLength { get; init; }

    /// <summary>Objects registered for finalization that are not yet due.</summary>
    public required long FinalizableObjects { get; init; }

    /// <summary>Threads whose stack roots came from a conservative scan, because the runtime's stack walk cannot run on them.</summary>
    public IReadOnlyList<RootEnumerator.ScannedThread> ScannedThreads { get; init; } = [];

    /// <summary>
    /// Priority tier of a root for root paths and holders (lower first), so paths run through what
    /// explains a leak: the program's own statics, then the framework's, then handles and thread
    /// statics, then stacks; then the framework's plumbing (the socket engine, the thread pool,
    /// Kestrel's transport), which reaches everything an app holds but explains none of it (as
    /// PerfView's spanning tree weighs framework roots); last the finalizer queue, the runtime's
    /// arrays of statics (the named statics hold the same objects) and the rest.
    /// </summary>
    public static int Tier(RootKind kind, string name) => kind switch
    {
        RootKind.Static when DeclaringType(name) is { } type => FrameworkPlumbing.IsPlumbing(type + ".") ? 4 : FrameworkPlumbing.IsFramework(type) ? 1 : 0,
        RootKind.Static => 1,
        _ when name.StartsWith(StaticsTable, StringComparison.Ordinal) => 5,
        RootKind.StrongHandle or RootKind.PinnedHandle or RootKind.AsyncPinnedHandle or RootKind.RefCountedHandle
            or RootKind.SizedRefHandle or RootKind.ThreadStatic => 2,
        RootKind.Stack or RootKind.ConservativeStack => 3,
        _ => 5,
    };

    public const int TierCount = 6;

    /// <summary>"static Ns.Type.field" → "Ns.Type".</summary>
    private static string? DeclaringType(string name)
    {
        if (!name.StartsWith("static ", StringComparison.Ordinal))
            return null;
        int dot = name.LastIndexOf('.');
        return dot > 7 ? name[7..dot] : null;
    }

    /// <summary>How the runtime's pinned arrays of static fields are named as roots.</summary>
    public const string StaticsTable = "runtime statics table";

    public static RootSet Collect(ClrRuntime runtime, CancellationToken cancellationToken, bool nameStatics = true)
    {
        ClrHeap heap = runtime.Heap;
        var objects = new List<ulong>();
        var kinds = new List<RootKind>();
        var nameIds = new List<int>();
        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        int NameId(string name)
        {
            if (!nameIndex.TryGetValue(name, out int id))
            {
                id = names.Count;
                names.Add(name);
                nameIndex[name] = id;
            }
            return id;
        }

        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long finalizerQueue = 0;

        // Static fields as roots of their own, so paths say "static Type.field" rather than
        // "a handle to the runtime's statics array". They add no counts: the GC sees the array.
        // Thread-static fields are roots that ClrMD's root list leaves out where it cannot find
        // a thread's storage (a core dump read on its own): without them a [ThreadStatic] cache
        // would look dead.
        var staticSlots = new List<ulong>();
        long threadStatics = 0;
        var hidden = new List<(ulong, ulong, string)>();
        foreach (StaticFieldValue field in StaticFieldValues(runtime, nameStatics, cancellationToken))
        {
            if (field.LoaderAllocator != 0)
            {
                // A collectible type's static lives as long as its LoaderAllocator: an edge, not a root.
                hidden.Add((field.LoaderAllocator, field.Value, field.Name));
                continue;
            }
            objects.Add(field.Value);
            kinds.Add(field.ThreadStatic ? RootKind.ThreadStatic : RootKind.Static);
            nameIds.Add(NameId(field.Name));
            if (field.ThreadStatic)
                threadStatics++;
            else if (field.Slot != 0)
                staticSlots.Add(field.Slot);
        }
        staticSlots.Sort();

        var scanned = new List<RootEnumerator.ScannedThread>();
        foreach (RootEnumerator.Entry root in RootEnumerator.Enumerate(runtime, scanned, cancellationToken))
        {
            RootKind kind = root.Kind;
            if (kind == RootKind.FinalizerQueue)
                finalizerQueue++;
            Increment(counts, RootKinds.Name(kind));
            if ((objects.Count & 4095) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (root.Object.Address == 0)
                continue;
            objects.Add(root.Object.Address);
            kinds.Add(kind);
            string description = root.Description;
            if (kind is RootKind.StrongHandle or RootKind.PinnedHandle && HoldsStaticSlots(root.Object, staticSlots))
                description = $"{StaticsTable} ({description})";
            nameIds.Add(NameId(description));
        }

        if (threadStatics > 0 && !counts.ContainsKey(RootKinds.Name(RootKind.ThreadStatic)))
            counts[RootKinds.Name(RootKind.ThreadStatic)] = threadStatics;

        var weak = new List<(ulong, ulong, WeakHandleKind)>();
        foreach (ClrHandle handle in runtime.EnumerateHandles())
        {
            switch (handle.HandleKind)
            {
                case ClrHandleKind.Dependent:
                    Increment(counts, WeakHandleKind.Dependent.Name());
                    if (handle.Object.Address != 0 && handle.Dependent.Address != 0)
                        hidden.Add((handle.Object.Address, handle.Dependent.Address, HiddenEdges.ConditionalWeakTableKey));
                    break;
                case ClrHandleKind.WeakShort:
                    Increment(counts, WeakHandleKind.WeakShort.Name());
                    if (handle.Object.Address != 0)
                        weak.Add((handle.Address, handle.Object.Address, WeakHandleKind.WeakShort));
                    break;
                case ClrHandleKind.WeakLong:
                    Increment(counts, WeakHandleKind.WeakLong.Name());
                    if (handle.Object.Address != 0)
                        weak.Add((handle.Address, handle.Object.Address, WeakHandleKind.WeakLong));
                    break;
                case ClrHandleKind.WeakWinRT:
                    Increment(counts, WeakHandleKind.WeakWinRT.Name());
                    break;
                case RootEnumerator.WeakInteriorPointer:
                    Increment(counts, WeakHandleKind.WeakInterior.Name());
                    if (handle.Object.Address != 0)
                        weak.Add((handle.Address, handle.Object.Address, WeakHandleKind.WeakInterior));
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
            NameIds = nameIds.ToArray(),
            Names = names,
            Hidden = new HiddenEdges(hidden),
            WeakHandles = weak.ToArray(),
            CountsByKind = counts,
            FinalizerQueueLength = finalizerQueue,
            FinalizableObjects = finalizable,
            ScannedThreads = scanned,
        };
    }

    /// <summary>Whether an object (the runtime's pinned Object[] of GC statics) contains static field slots.</summary>
    private static bool HoldsStaticSlots(ClrObject obj, List<ulong> sortedSlots)
    {
        if (sortedSlots.Count == 0 || obj.Type is not { IsArray: true })
            return false;
        ulong end = obj.Address + obj.Size;
        int at = sortedSlots.BinarySearch(obj.Address);
        if (at < 0)
            at = ~at;
        return at < sortedSlots.Count && sortedSlots[at] < end;
    }

    /// <summary>Every static reference field with a value: (object, "static Namespace.Type.field", the slot's address).</summary>
    /// <summary>A static field's object: named for paths (<see cref="Slot"/> is where it is stored), or a thread-static root of one thread.</summary>
    /// <param name="LoaderAllocator">For a static of a collectible type, the LoaderAllocator object that keeps it; else 0.</param>
    internal readonly record struct StaticFieldValue(ulong Value, string Name, ulong Slot, bool ThreadStatic, ulong LoaderAllocator = 0);

    /// <summary>
    /// The objects static fields hold (when <paramref name="includeStatics"/>), and those each
    /// thread's thread-static fields hold, from the types that have static fields.
    /// </summary>
    internal static IEnumerable<StaticFieldValue> StaticFieldValues(ClrRuntime runtime, bool includeStatics, CancellationToken cancellationToken)
    {
        var seen = new HashSet<(ulong, string)>();
        ClrThread[] threads = runtime.Threads.Where(t => t.IsAlive).ToArray();
        foreach (ClrModule module in runtime.EnumerateModules())
        {
            cancellationToken.ThrowIfCancellationRequested();
            ClrAppDomain? domain = module.AppDomain ?? runtime.AppDomains.FirstOrDefault();
            if (domain is null)
                continue;
            IEnumerable<ClrType> types;
            try
            {
                types = module.EnumerateTypesWithStaticFields().ToArray();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or NotSupportedException)
            {
                continue;
            }
            foreach (ClrType type in types)
            {
                ulong loaderAllocator = type.IsCollectible ? LoaderAllocatorOf(runtime, type) : 0;
                foreach (ClrStaticField field in includeStatics ? type.StaticFields : [])
                {
                    if (!field.IsObjectReference)
                        continue;
                    ulong value, slot;
                    try
                    {
                        if (!field.IsInitialized(domain))
                            continue;
                        value = field.ReadObject(domain).Address;
                        slot = field.GetAddress(domain);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException)
                    {
                        continue;
                    }
                    string name = $"static {type.Name}.{FieldNames.Pretty(field.Name)}";
                    if (value != 0 && seen.Add((value, name)))
                        yield return new StaticFieldValue(value, name, slot, ThreadStatic: false, loaderAllocator);
                }
                foreach (ClrThreadStaticField field in type.ThreadStaticFields)
                {
                    if (!field.IsObjectReference)
                        continue;
                    foreach (ClrThread thread in threads)
                    {
                        ulong value;
                        try
                        {
                            value = field.ReadObject(thread).Address;
                        }
                        catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException)
                        {
                            continue;
                        }
                        string name = $"thread-static {type.Name}.{FieldNames.Pretty(field.Name)} (thread 0x{thread.OSThreadId:x})";
                        if (value != 0 && seen.Add((value, name)))
                            yield return new StaticFieldValue(value, name, 0, ThreadStatic: true, loaderAllocator);
                    }
                }
            }
        }
    }

    /// <summary>The LoaderAllocator object of a collectible type (its handle's target), or 0 when unreadable.</summary>
    private static ulong LoaderAllocatorOf(ClrRuntime runtime, ClrType type) =>
        type.LoaderAllocatorHandle != 0 && runtime.DataTarget.DataReader.ReadPointer(type.LoaderAllocatorHandle, out ulong value) ? value : 0;

    private static void Increment(SortedDictionary<string, long> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out long n) ? n + 1 : 1;
}
