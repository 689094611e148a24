using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// One value per object (a type id, a size), in blocks of 65,536 values that the heap walk fills
/// and the index keeps as they are: no final copy into one array, so the walk touches each value's
/// memory once. Layout: the blocks (sizeof(T) per object, the last block partly used) and one
/// reference per block (8 B per 64 K objects). Indexing is a shift, a mask and two loads.
/// </summary>
internal sealed class ObjectColumn<T> where T : unmanaged
{
    public const int BlockShift = 16;
    public const int BlockSize = 1 << BlockShift;

    private readonly T[][] _blocks;

    /// <param name="blocks">Full blocks of <see cref="BlockSize"/> values but the last; the column takes them over.</param>
    public ObjectColumn(List<T[]> blocks, int count)
    {
        if ((long)blocks.Count * BlockSize < count)
            throw new ArgumentException("the blocks hold fewer values than the count", nameof(count));
        _blocks = blocks.ToArray();
        Count = count;
    }

    public int Count { get; }

    /// <summary>The value of object <paramref name="index"/> (0 ≤ index &lt; Count; not checked beyond its block).</summary>
    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_blocks[index >> BlockShift]), index & (BlockSize - 1));
    }

    public T[] ToArray()
    {
        var all = new T[Count];
        for (int b = 0; b < _blocks.Length; b++)
        {
            int length = Math.Min(BlockSize, Count - b * BlockSize);
            if (length <= 0)
                break;
            Array.Copy(_blocks[b], 0, all, b * BlockSize, length);
        }
        return all;
    }

    /// <summary>
    /// Appends <paramref name="count"/> values held in <paramref name="part"/> (full blocks but the last)
    /// to <paramref name="blocks"/>, which hold <paramref name="total"/> values: the part's values are
    /// shifted down in place to close the gap in the last block, so no block is allocated or copied whole.
    /// </summary>
    public static void Append(List<T[]> blocks, ref int total, List<T[]> part, int count)
    {
        int gap = blocks.Count * BlockSize - total;
        if (gap == 0 || count == 0)
        {
            // The last block is full (or the part is empty): the part's blocks follow as they are.
            int take = (count + BlockSize - 1) / BlockSize;
            blocks.AddRange(part.Take(take));
            total += count;
            return;
        }
        T[] last = blocks[^1];
        int fill = Math.Min(gap, count);
        Array.Copy(part[0], 0, last, BlockSize - gap, fill);
        // Every later value moves down by `gap` places: block j takes its own values from `gap` on,
        // then the first `gap` values of block j + 1 (read before block j + 1 itself is shifted).
        int remaining = count - fill;
        for (int j = 0; remaining > 0; j++)
        {
            T[] block = part[j];
            int own = Math.Min(BlockSize - gap, remaining);
            Array.Copy(block, gap, block, 0, own);
            int next = Math.Min(gap, remaining - own);
            if (next > 0)
                Array.Copy(part[j + 1], 0, block, own, next);
            blocks.Add(block);
            remaining -= own + next;
        }
        total += count;
    }
}
