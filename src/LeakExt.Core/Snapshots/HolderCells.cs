using System.Runtime.CompilerServices;

namespace LeakExt.Core.Snapshots;

/// <summary>
/// Count, bytes and an example address per (type id, holder text) key, for the histogram pass.
/// Layout: open addressing with linear probing over parallel arrays (8 + 8 + 8 + 8 B per slot),
/// kept at most half full; a heap has thousands of keys, so it stays in cache. Neighbouring
/// objects often share a key (an array's elements, a type's objects allocated together), so the
/// last key's slot is remembered: a heap of 50,000 types (megabytes of slots) then mostly skips
/// the probe. Our own map rather than a Dictionary&lt;long, …&gt;, whose generic code runs unoptimized at first.
/// </summary>
internal sealed class HolderCells
{
    private long[] _keys = new long[1024];
    private long[] _counts = new long[1024];
    private long[] _bytes = new long[1024];
    private ulong[] _examples = new ulong[1024];
    private int _used;
    private long _lastKey = -1;
    private int _lastSlot;

    public HolderCells()
    {
        Array.Fill(_keys, -1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long key, long bytes, ulong example) => Add(key, 1, bytes, example);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(long key, long count, long bytes, ulong example)
    {
        if (key == _lastKey)
        {
            Accumulate(_lastSlot, count, bytes, example);
            return;
        }
        int mask = _keys.Length - 1;
        int slot = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 40) & mask;
        while (true)
        {
            long existing = _keys[slot];
            if (existing == key)
            {
                Accumulate(slot, count, bytes, example);
                (_lastKey, _lastSlot) = (key, slot);
                return;
            }
            if (existing == -1)
            {
                _keys[slot] = key;
                _counts[slot] = count;
                _bytes[slot] = bytes;
                _examples[slot] = example;
                (_lastKey, _lastSlot) = (key, slot);
                if (++_used * 2 > _keys.Length)
                    Grow();
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accumulate(int slot, long count, long bytes, ulong example)
    {
        _counts[slot] += count;
        _bytes[slot] += bytes;
        if (example < _examples[slot])
            _examples[slot] = example;
    }

    private void Grow()
    {
        long[] keys = _keys, counts = _counts, bytes = _bytes;
        ulong[] examples = _examples;
        int size = keys.Length * 2;
        _keys = new long[size];
        Array.Fill(_keys, -1);
        _counts = new long[size];
        _bytes = new long[size];
        _examples = new ulong[size];
        _used = 0;
        _lastKey = -1;
        for (int i = 0; i < keys.Length; i++)
            if (keys[i] != -1)
                Add(keys[i], counts[i], bytes[i], examples[i]);
    }

    public void AddAll(HolderCells other)
    {
        for (int i = 0; i < other._keys.Length; i++)
            if (other._keys[i] != -1)
                Add(other._keys[i], other._counts[i], other._bytes[i], other._examples[i]);
    }

    public IEnumerable<(long Key, long Count, long Bytes, ulong Example)> Entries()
    {
        for (int i = 0; i < _keys.Length; i++)
            if (_keys[i] != -1)
                yield return (_keys[i], _counts[i], _bytes[i], _examples[i]);
    }
}
