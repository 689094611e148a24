using System.Runtime.CompilerServices;

namespace LeakExt.Core.Retention;

/// <summary>
/// The holder states computed so far, by (parent state, parent type, state offset, child type): what
/// lets marking threads settle children in parallel without computing a state themselves (computing
/// one interns texts, and the order of interning must be the one-thread walk's). Only the marking
/// thread adds, between parallel steps; workers read it then through their own <see cref="StateMemo"/>.
/// Layout: one dictionary entry (about 40 B) per distinct key; thousands on real heaps.
/// </summary>
internal sealed class KnownStates
{
    private readonly Dictionary<(ulong, ulong), int> _states = new();

    /// <summary>The key's two halves: (parent state, parent type) and (child type, state offset).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong A, ulong B) Key(int parentState, int parentType, long stateOffset, int childType) =>
        (((ulong)(uint)parentState << 32) | (uint)parentType, ((ulong)(uint)childType << 32) | (uint)stateOffset);

    public void Add(int parentState, int parentType, long stateOffset, int childType, int state) =>
        _states[Key(parentState, parentType, stateOffset, childType)] = state;

    public bool TryGet(ulong keyA, ulong keyB, out int state) => _states.TryGetValue((keyA, keyB), out state);

    public int Count => _states.Count;
}

/// <summary>
/// One worker's cache in front of <see cref="KnownStates"/>: 4,096 direct-mapped entries (two key
/// words and a state, 20 B: 80 KiB), so a repeat costs one probe, not a dictionary lookup.
/// </summary>
internal sealed class StateMemo(KnownStates known)
{
    private const int Size = 1 << 12;
    private readonly ulong[] _keyA = new ulong[Size], _keyB = new ulong[Size];
    private readonly int[] _state = CreateEmpty();

    private static int[] CreateEmpty()
    {
        int[] states = new int[Size];
        Array.Fill(states, -1);
        return states;
    }

    /// <summary>The state of the key if it was computed before; false when the marking thread must compute it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int parentState, int parentType, long stateOffset, int childType, out int state)
    {
        (ulong keyA, ulong keyB) = KnownStates.Key(parentState, parentType, stateOffset, childType);
        int slot = (int)((keyA * 0x9E3779B97F4A7C15UL ^ keyB * 0xC2B2AE3D27D4EB4FUL) >> 52);
        state = _state[slot];
        if (state >= 0 && _keyA[slot] == keyA && _keyB[slot] == keyB)
            return true;
        if (!known.TryGet(keyA, keyB, out state))
            return false;
        _keyA[slot] = keyA;
        _keyB[slot] = keyB;
        _state[slot] = state;
        return true;
    }
}
