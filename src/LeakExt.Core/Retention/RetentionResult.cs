using LeakExt.Core.Heap;

namespace LeakExt.Core.Retention;

/// <summary>
/// The live set plus, for every live object, how it is held: its parent on a shortest path from
/// the roots (breadth-first, root tiers in order: statics, handles, stacks, finalizer queue and
/// the rest), the root that path starts from, and its holder state.
/// Layout: one int pair per object index, interleaved so that one cache line serves both
/// (8 B per object): the parent (≥ 0: the parent's index; -1: not reached, dead; ≤ -2: a root
/// whose name is RootSet.Names[-parent - 2]) and the holder state (-1 when not reached). Both are
/// stored plus one, so that a fresh (zeroed) array already means "not reached": no fill pass. One
/// long per object (parent in the low half, holder in the high half): both in one cache line, and no
/// 2^30 cap as two ints per object in one array would have.
/// </summary>
internal sealed class RetentionResult
{
    public required MarkResult Marks { get; init; }
    public required long[] ParentAndHolder { get; init; }
    public required HolderTable Table { get; init; }
    public required RootSet Roots { get; init; }

    /// <summary>
    /// Every object that is a root itself (any root resolves to it: a handle, a static, a stack
    /// slot, an interior pointer, a frozen object), whether or not its path begins there: the one
    /// root set that paths, dominators and retained sizes share. N/8 bytes.
    /// </summary>
    public required Bitset RootNodes { get; init; }

    /// <summary>The heap's holder rules (field names, collection roles); absent only for synthetic heaps in tests.</summary>
    public HolderRules Rules => _rules ?? throw new InvalidOperationException("no holder rules for this heap");
    public HolderRules? HeapRules { init => _rules = value; }
    private readonly HolderRules? _rules;

    public const int Unreached = -1;

    public int Parent(int index) => ParentOf(ParentAndHolder[index]);

    public int Holder(int index) => HolderOf(ParentAndHolder[index]);

    public static long Pack(int parent, int holder) => ((long)(holder + 1) << 32) | (uint)(parent + 1);

    public static int ParentOf(long packed) => (int)(uint)packed - 1;

    public static int HolderOf(long packed) => (int)(packed >> 32) - 1;

    public static bool IsRoot(int parent) => parent <= -2;

    public string RootName(int parent) => Roots.Names[-parent - 2];

    public string HolderText(int index) => Holder(index) < 0 ? "(dead)" : Table.Text(Table.State(Holder(index)).Text);
}
