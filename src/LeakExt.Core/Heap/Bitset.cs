using System.Numerics;
using System.Runtime.CompilerServices;

namespace LeakExt.Core.Heap;

/// <summary>A fixed-size set of small integers: one bit each (N/8 bytes), O(1) test and set.</summary>
internal sealed class Bitset
{
    private readonly ulong[] _words;

    public Bitset(int length)
    {
        Length = length;
        _words = new ulong[WordsFor(length)];
    }

    /// <summary>Words for <paramref name="length"/> bits, counted in 64 bits: length + 63 passes int.MaxValue near the 2^31-object limit.</summary>
    public static int WordsFor(int length) => (int)((length + 63L) >> 6);

    public int Length { get; }

    public bool this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_words[index >> 6] & (1UL << index)) != 0;
    }

    /// <summary>Sets the bit; returns false when it was already set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TrySet(int index)
    {
        ref ulong word = ref _words[index >> 6];
        ulong bit = 1UL << index;
        if ((word & bit) != 0)
            return false;
        word |= bit;
        return true;
    }

    public long PopCount()
    {
        long count = 0;
        foreach (ulong word in _words)
            count += BitOperations.PopCount(word);
        return count;
    }

}
