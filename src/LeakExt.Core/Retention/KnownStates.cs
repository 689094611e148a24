using System.Runtime.CompilerServices;

namespace LeakExt.Core.Retention;

/// <summary>
/// The holder states computed so far, by (parent state, parent type, state offset, child type): what
/// lets marking threads settle children in parallel without computing a state themselves (computing
/// one interns texts, and the order of interning must be the one-thread walk's). Only the marking
/// thread adds, between parallel steps; workers read it then through their own <see cref="StateMemo"/>.
/// Layout: open addressing with linear probing over parallel arrays (two key words and a state,
/// 20 B per slot), kept at most half full; thousands of keys on real heaps. Our own table rather
/// than a Dictionary over a tuple key, whose generic code would run unoptimized at first.
/// </summary>
internal sealed class KnownStates
{
    private ulong[] _keyA = new ulong[1024], _keyB = new ulong[1024];
    private int[] _states = Empty(1024);

    public int Count { get; private set; }

    private static int[] Empty(int length)
    {
        int[] states = new int[length];
        Array.Fill(states, -1);
        return states;
    }

    /// <summary>The key's two halves: (parent state, parent type) and (child type, state offset).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong A, ulong B) Key(int parentState, int parentType, long stateOffset, int childType) =>
        (((ulong)(uint)parentState << 32) | (uint)parentType, ((ulong)(uint)childType << 32) | (uint)stateOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hash(ulong keyA, ulong keyB) => (int)((keyA * 0x9E3779B97F4A7C15UL ^ keyB * 0xC2B2AE3D27D4EB4FUL) >> 33);

    public void Add(int parentState, int parentType, long stateOffset, int childType, int state)
    {
        (ulong keyA, ulong keyB) = Key(parentState, parentType, stateOffset, childType);
        if (TryGet(keyA, keyB, out _))
            return;
        if ((Count + 1) * 2 > _states.Length)
            Grow();
        Insert(keyA, keyB, state);
        Count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGet(ulong keyA, ulong keyB, out int state)
    {
        int mask = _states.Length - 1;
        for (int slot = Hash(keyA, keyB) & mask; ; slot = (slot + 1) & mask)
        {
            state = _states[slot];
            if (state < 0)
                return false;
            if (_keyA[slot] == keyA && _keyB[slot] == keyB)
                return true;
        }
    }

    private void Insert(ulong keyA, ulong keyB, int state)
    {
        int mask = _states.Length - 1;
        int slot = Hash(keyA, keyB) & mask;
        while (_states[slot] >= 0)
            slot = (slot + 1) & mask;
        _keyA[slot] = keyA;
        _keyB[slot] = keyB;
        _states[slot] = state;
    }

    private void Grow()
    {
        (ulong[] keyA, ulong[] keyB, int[] states) = (_keyA, _keyB, _states);
        _keyA = new ulong[states.Length * 2];
        _keyB = new ulong[states.Length * 2];
        _states = Empty(states.Length * 2);
        for (int i = 0; i < states.Length; i++)
            if (states[i] >= 0)
                Insert(keyA[i], keyB[i], states[i]);
    }
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
        int slot = KnownStates.Hash(keyA, keyB) & (Size - 1);
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
