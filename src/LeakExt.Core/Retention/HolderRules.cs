using LeakExt.Core.Heap;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>How the marker names holders: root states, and a child's state from its parent's.</summary>
internal interface IHolderRules
{
    HolderTable Table { get; }
    int RootState(string rootName);
    int ChildState(int parentState, int parentType, long offset, int childType);

    /// <summary>The part of <paramref name="offset"/> that <see cref="ChildState"/> depends on (all slots of a reference array are alike).</summary>
    long StateOffset(int parentType, long offset);

    /// <summary>The holder state of an object reached by a hidden edge (<see cref="HiddenEdges"/>) labelled <paramref name="label"/>.</summary>
    int HiddenState(int parentState, int parentType, string label);
}

/// <summary>Collections whose internals are folded in holders, so they read as the user wrote them.</summary>
internal enum CollectionKind : byte
{
    None,
    List,
    Dictionary,
    HashSet,
    QueueOrStack,
    ConcurrentDictionary,
    LinkedList,
    Delegate,
    TimerQueue,
    Array,
}

/// <summary>
/// Decides the holder of an object from its parent in the root-path tree: the parent's holder,
/// plus a step named after the parent's field ("Order.Customer"), or, for collections, the
/// collection and the role the object plays in it ("Dictionary&lt;K, V&gt; values", "List&lt;T&gt; items",
/// "EventHandler targets", "timer queue callbacks"), skipping the collection's own arrays and nodes.
/// Objects of the parent's own type (linked lists, trees) keep the parent's holder.
/// Cost: per (parent state, parent type, offset, child type) once; then a one-entry memo and a
/// direct-mapped cache (4,096 entries of 24 B, one cache line per probe) answer repeats in a
/// few nanoseconds.
/// </summary>
internal sealed class HolderRules
{
    /// <summary>The rules as the marker's type parameter: a struct, so ChildState inlines into the hot loop.</summary>
    public readonly struct Adapter(HolderRules rules) : IHolderRules
    {
        public HolderTable Table => rules.Table;
        public int RootState(string rootName) => rules.RootState(rootName);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public int ChildState(int parentState, int parentType, long offset, int childType) => rules.ChildState(parentState, parentType, offset, childType);

        public int HiddenState(int parentState, int parentType, string label) => rules.HiddenState(parentState, parentType, label);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public long StateOffset(int parentType, long offset) => rules.NormalizedOffset(parentType, offset);
    }

    /// <summary>How a path names the step from an object of a collectible type to its LoaderAllocator.</summary>
    public const string CollectibleTypeStep = "(its collectible type)";

    private const int CacheSize = 1 << 12;
    private const int ArrayDataOffset = 16;

    private readonly TypeTable _types;
    private readonly HolderTable _table;
    private readonly Dictionary<int, TypeFacts> _facts = new();
    private readonly Dictionary<(int, long), string> _fieldNames = new();
    private struct CacheEntry
    {
        public ulong KeyA;
        public ulong KeyB;
        public int Value;
    }

    private readonly CacheEntry[] _cache = new CacheEntry[CacheSize];
    private ulong _lastKeyA = ulong.MaxValue, _lastKeyB = ulong.MaxValue;
    private int _lastValue;

    public HolderRules(TypeTable types, HolderTable table)
    {
        _types = types;
        _table = table;
        for (int i = 0; i < CacheSize; i++)
            _cache[i].Value = -1;
    }

    public HolderTable Table => _table;

    private sealed record TypeFacts(CollectionKind Kind, string ShortName, bool IsDelegate, bool IsArray, bool IsTimerInternal, bool IsClosure);

    private TypeFacts Facts(int typeId)
    {
        if (_facts.TryGetValue(typeId, out TypeFacts? facts))
            return facts;
        ClrType type = _types[typeId];
        string name = _types.TryNameOf(typeId) ?? "";
        bool isDelegate = false;
        for (ClrType? t = type.BaseType; t is not null; t = t.BaseType)
            if (t.Name == "System.MulticastDelegate")
                isDelegate = true;
        CollectionKind kind =
            isDelegate ? CollectionKind.Delegate
            : name.StartsWith("System.Collections.Generic.List<", StringComparison.Ordinal) ? CollectionKind.List
            : name.StartsWith("System.Collections.Generic.Dictionary<", StringComparison.Ordinal) && !name.Contains("+Entry", StringComparison.Ordinal) ? CollectionKind.Dictionary
            : name.StartsWith("System.Collections.Generic.HashSet<", StringComparison.Ordinal) && !name.Contains("+Entry", StringComparison.Ordinal) ? CollectionKind.HashSet
            : name.StartsWith("System.Collections.Generic.Queue<", StringComparison.Ordinal) || name.StartsWith("System.Collections.Generic.Stack<", StringComparison.Ordinal) ? CollectionKind.QueueOrStack
            : name.StartsWith("System.Collections.Concurrent.ConcurrentDictionary<", StringComparison.Ordinal) && !name.Contains('+') ? CollectionKind.ConcurrentDictionary
            : name.StartsWith("System.Collections.Generic.LinkedList<", StringComparison.Ordinal) ? CollectionKind.LinkedList
            : name == "System.Threading.TimerQueue" ? CollectionKind.TimerQueue
            : CollectionKind.None;
        bool timerInternal = name is "System.Threading.TimerQueueTimer" or "System.Threading.ExecutionContext" or "System.Threading.TimerHolder";
        // The class a compiler makes for a lambda's captured variables: a delegate's internals, like its invocation list.
        bool closure = name.Contains("<>c__DisplayClass", StringComparison.Ordinal) || name.EndsWith("+<>c", StringComparison.Ordinal);
        facts = new TypeFacts(kind, FieldNames.Short(name), isDelegate, type.IsArray, timerInternal, closure);
        _facts[typeId] = facts;
        return facts;
    }

    /// <summary>The holder state of a root object.</summary>
    public int RootState(string rootName) => _table.StateOf(new HolderState(_table.RootText(rootName), CollectionKind.None, -1, -1));

    /// <summary>The holder state of <paramref name="childType"/> reached from a parent at <paramref name="offset"/> (bytes from the object start).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int ChildState(int parentState, int parentType, long offset, int childType)
    {
        offset = NormalizedOffset(parentType, offset);
        ulong keyA = ((ulong)(uint)parentState << 32) | (uint)parentType;
        ulong keyB = ((ulong)(uint)childType << 32) | (uint)offset;
        if (keyA == _lastKeyA && keyB == _lastKeyB)
            return _lastValue;
        ref CacheEntry entry = ref _cache[(int)((keyA * 0x9E3779B97F4A7C15UL ^ keyB * 0xC2B2AE3D27D4EB4FUL) >> 52)];
        if (entry.Value < 0 || entry.KeyA != keyA || entry.KeyB != keyB)
            Fill(ref entry, keyA, keyB, parentState, parentType, offset, childType);
        _lastKeyA = keyA;
        _lastKeyB = keyB;
        return _lastValue = entry.Value;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Fill(ref CacheEntry entry, ulong keyA, ulong keyB, int parentState, int parentType, long offset, int childType)
    {
        entry.Value = Compute(parentState, parentType, offset, childType);
        entry.KeyA = keyA;
        entry.KeyB = keyB;
    }

    /// <summary>
    /// The part of an offset that matters for naming: all slots of a reference array are alike,
    /// and in an array of structs only the position inside the element counts.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public long NormalizedOffset(int typeId, long offset)
    {
        ref TypeLayout layout = ref _types.Layouts[typeId];
        if (layout.ComponentSize == 0 || layout.IsString || offset == ReferenceBuffer.LoaderAllocatorOffset)
            return offset;
        return layout.SeriesCount < 0 ? ArrayDataOffset + (offset - ArrayDataOffset) % layout.ComponentSize : ArrayDataOffset;
    }

    private int Compute(int parentState, int parentType, long offset, int childType)
    {
        HolderState parent = _table.State(parentState);
        TypeFacts parentFacts = Facts(parentType);
        // The child's facts (its name, base types) only where a collection or delegate asks: an array
        // of 50,000 distinct generic types then costs no name lookup per type while marking.
        TypeFacts ChildFacts() => Facts(childType);

        // An object of a collectible type keeps its type's LoaderAllocator (and the plugin) alive.
        if (offset == ReferenceBuffer.LoaderAllocatorOffset)
            return Plain(_table.Extend(parent.Inside != CollectionKind.None ? parent.Owner : parent.Text, parentFacts.ShortName + "'s collectible type"));

        // Walking a collection's internals: stay inside, or come out as a member with a role.
        if (parent.Inside != CollectionKind.None)
        {
            if (IsInternal(parent.Inside, ChildFacts(), parentFacts, parentType, offset))
                return _table.StateOf(parent with { Text = parent.Owner });
            string role = Role(parent.Inside, parentType, offset);
            if (parent.Inside == CollectionKind.Delegate)
                return Plain(DelegateTargets(parent.Owner, parent.Label));
            return Plain(_table.Extend(parent.Owner, _table.Text(parent.Label) + " " + role));
        }

        // A collection object: its storage is internal; other fields are ordinary steps.
        if (parentFacts.Kind != CollectionKind.None && parentFacts.Kind != CollectionKind.Array)
        {
            if (IsInternal(parentFacts.Kind, ChildFacts(), parentFacts, parentType, offset) || parentFacts.Kind == CollectionKind.Delegate)
            {
                int label = _table.Label(parentFacts.Kind == CollectionKind.TimerQueue ? "timer queue" : parentFacts.ShortName);
                if (parentFacts.Kind == CollectionKind.Delegate && !ChildFacts().IsDelegate && !ChildFacts().IsArray && !ChildFacts().IsClosure)
                    return Plain(DelegateTargets(parent.Text, label));
                return _table.StateOf(new HolderState(parent.Text, parentFacts.Kind, label, parent.Text));
            }
        }

        // A plain array: its elements are its items.
        if (parentFacts.IsArray)
        {
            if (childType == parentType)
                return Plain(parent.Text);
            return Plain(_table.Extend(parent.Text, parentFacts.ShortName + " items"));
        }

        // Recursive structures (trees, linked lists) keep their holder.
        if (childType == parentType)
            return Plain(parent.Text);
        return Plain(_table.Extend(parent.Text, parentFacts.ShortName + "." + FieldName(parentType, offset)));
    }

    /// <summary>
    /// A collectible type's static, held by its LoaderAllocator, is named as the static it is; a
    /// ConditionalWeakTable's value is held by its key: "… › Key as ConditionalWeakTable key".
    /// </summary>
    public int HiddenState(int parentState, int parentType, string label)
    {
        HolderState parent = _table.State(parentState);
        int text = parent.Inside != CollectionKind.None ? parent.Owner : parent.Text;
        return Plain(_table.Extend(text, label.StartsWith("static ", StringComparison.Ordinal) ? label : $"{Facts(parentType).ShortName} as {label}"));
    }

    /// <summary>
    /// What a delegate calls: "Owner._onChange targets" when the delegate is an owner's field,
    /// "static App.Changed › EventHandler targets" when it is a root itself.
    /// </summary>
    private int DelegateTargets(int delegateText, int label) =>
        _table.Suffix(delegateText, " targets") ?? _table.Extend(delegateText, _table.Text(label) + " targets");

    private int Plain(int text) => _table.StateOf(new HolderState(text, CollectionKind.None, -1, -1));

    /// <summary>Whether <paramref name="child"/> is part of the collection's machinery rather than a member.</summary>
    private bool IsInternal(CollectionKind kind, TypeFacts child, TypeFacts parent, int parentType, long offset) => kind switch
    {
        CollectionKind.List or CollectionKind.QueueOrStack => child.IsArray && !parent.IsArray,
        CollectionKind.Dictionary or CollectionKind.HashSet => child.IsArray && !parent.IsArray,
        CollectionKind.ConcurrentDictionary => child.ShortName.Contains("ConcurrentDictionary<", StringComparison.Ordinal)
                                               || (child.IsArray && child.ShortName.Contains("+", StringComparison.Ordinal))
                                               || (child.IsArray && !parent.IsArray && FieldName(parentType, offset) == "_buckets"),
        CollectionKind.LinkedList => child.ShortName.StartsWith("LinkedListNode<", StringComparison.Ordinal),
        CollectionKind.Delegate => child.IsDelegate || child.IsClosure || (child.IsArray && !parent.IsArray && !parent.IsDelegate) || (child.IsArray && parent.IsDelegate),
        CollectionKind.TimerQueue => child.IsTimerInternal || child.IsDelegate || (child.IsArray && !parent.IsArray) || child.Kind == CollectionKind.TimerQueue,
        _ => false,
    };

    private string Role(CollectionKind kind, int parentType, long offset)
    {
        switch (kind)
        {
            case CollectionKind.Dictionary:
            case CollectionKind.ConcurrentDictionary:
                string field = FieldName(parentType, offset);
                return field.Contains("key", StringComparison.OrdinalIgnoreCase) ? "keys"
                    : field.Contains("value", StringComparison.OrdinalIgnoreCase) ? "values" : "items";
            case CollectionKind.Delegate:
                return "targets";
            case CollectionKind.TimerQueue:
                return "callbacks";
            default:
                return "items";
        }
    }

    /// <summary>The field at <paramref name="offset"/> of an object of the type (for struct arrays, of the element).</summary>
    public string FieldName(int typeId, long offset)
    {
        if (offset == ReferenceBuffer.LoaderAllocatorOffset)
            return CollectibleTypeStep;
        if (_fieldNames.TryGetValue((typeId, offset), out string? name))
            return name;
        ClrType type = _types[typeId];
        if (type.IsArray)
        {
            ClrType? element = type.ComponentType;
            if (element is null || !element.IsValueType || type.ComponentSize == 0)
                name = "[]";
            else
                name = FieldAt(element, (offset - ArrayDataOffset) % type.ComponentSize);
        }
        else
        {
            name = FieldAt(type, offset - 8);
        }
        _fieldNames[(typeId, offset)] = name;
        return name;
    }

    private static string FieldAt(ClrType type, long offset, int depth = 0)
    {
        // A reference field starts exactly at the slot; otherwise the slot is inside an embedded struct.
        foreach (ClrInstanceField field in type.Fields)
            if (field.Offset == offset && field.IsObjectReference)
                return FieldNames.Pretty(field.Name);
        foreach (ClrInstanceField field in type.Fields)
        {
            if (field.IsObjectReference || field.IsPrimitive)
                continue;
            if (offset >= field.Offset && offset < field.Offset + field.Size)
            {
                // Reference slots inside an embedded struct: name the struct's field too (not for primitives).
                if (depth < 4 && field.IsValueType && !field.IsPrimitive && field.Type is { IsPrimitive: false } inner && inner != type)
                {
                    string innerName = FieldAt(inner, offset - field.Offset, depth + 1);
                    if (innerName != "?")
                        return FieldNames.Pretty(field.Name) + "." + innerName;
                }
                return FieldNames.Pretty(field.Name);
            }
        }
        return "?";
    }
}
