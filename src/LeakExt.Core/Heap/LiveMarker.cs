using System.Numerics;
using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>Which objects are live, and what the marking met on the way.</summary>
internal sealed class MarkResult
{
    /// <summary>Mark bits laid out exactly like <see cref="HeapIndex.StartBits"/>: set where a live object starts.</summary>
    public required ulong[] MarkBits { get; init; }

    public required long LiveCount { get; init; }

    /// <summary>Roots that point at no object of the heap (stale stack slots, corrupt handles).</summary>
    public required long UnresolvedRoots { get; init; }

    /// <summary>References that point at no object start (corruption): counted, not followed.</summary>
    public required long InvalidReferences { get; init; }

    /// <summary>A result from mark words (laid out like StartBits); counts the live objects.</summary>
    public static MarkResult FromWords(ulong[] markBits, long unresolvedRoots, long invalidReferences)
    {
        long live = 0;
        foreach (ulong word in markBits)
            live += BitOperations.PopCount(word);
        return new MarkResult { MarkBits = markBits, LiveCount = live, UnresolvedRoots = unresolvedRoots, InvalidReferences = invalidReferences };
    }

    /// <summary>The live set by dense object index (N/8 bytes), for graph work.</summary>
    public Bitset ToIndexBitset(HeapIndex index)
    {
        var live = new Bitset(index.ObjectCount);
        int position = 0;
        for (int w = 0; w < MarkBits.Length; w++)
        {
            ulong starts = index.StartBits[w], marks = MarkBits[w];
            while (starts != 0)
            {
                ulong lowest = starts & (~starts + 1);
                if ((marks & lowest) != 0)
                    live.TrySet(position);
                position++;
                starts &= starts - 1;
            }
        }
        return live;
    }
}

/// <summary>
/// Marks the objects reachable from strong roots. Weak handles keep nothing alive; a hidden edge's
/// target (a dependent handle's secondary, a collectible type's static) is live only once its
/// source is (repeated until nothing changes).
/// Frozen (non-GC) objects are never collected, so they are live by definition.
/// Layout: while marking, start and mark bits are interleaved in one array (word 2w = starts,
/// 2w+1 = marks: 2 bits per 8 heap bytes) so checking a reference touches one cache line; an
/// explicit stack of (address, segment) replaces recursion (12 B per pending object).
/// Cost: O(live objects + their references); no per-object index arithmetic.
/// </summary>
internal static class LiveMarker
{
    public static MarkResult Mark<TReader>(HeapIndex index, RootSet roots, TReader reader, IProgress<WalkProgress>? progress,
        CancellationToken cancellationToken) where TReader : IReferenceReader
    {
        var marker = new Marker<TReader>(index, reader, progress, cancellationToken);

        long unresolved = 0;
        for (int r = 0; r < roots.Objects.Length; r++)
        {
            ulong root = roots.Objects[r];
            if (marker.MarkAndPush(root) != MarkOutcome.Invalid)
                continue;
            // A conservative root is an object start or nothing; others may point inside an object.
            if (roots.Kinds[r] != RootKind.ConservativeStack && index.IndexOfContaining(root, out ulong start) >= 0)
                marker.MarkAndPush(start);
            else
                unresolved++;
        }

        for (int s = 0; s < index.Segments.Length; s++)
        {
            if (index.Segments[s].Kind != GCSegmentKind.Frozen)
                continue;
            var frozen = new PushAll<TReader>(marker);
            index.ForEachInSegment(s, ref frozen);
        }
        marker.Drain();

        // References no field holds: followed once their source is live, until nothing changes.
        HiddenEdges hidden = roots.Hidden;
        bool changed = hidden.Count > 0;
        while (changed)
        {
            changed = false;
            for (int e = 0; e < hidden.Count; e++)
            {
                if (marker.IsMarked(hidden.Sources[e]) && marker.MarkAndPush(hidden.Targets[e]) == MarkOutcome.Marked)
                {
                    marker.Drain();
                    changed = true;
                }
            }
        }

        return marker.Finish(unresolved);
    }

    private enum MarkOutcome { Invalid, AlreadyMarked, Marked }

    private readonly struct PushAll<TReader>(Marker<TReader> marker) : IObjectVisitor where TReader : IReferenceReader
    {
        public void Visit(int index, ulong address, bool marked) => marker.MarkAndPush(address);
    }

    private sealed class Marker<TReader> where TReader : IReferenceReader
    {
        private readonly HeapIndex _index;
        private readonly TReader _reader;
        private readonly IProgress<WalkProgress>? _progress;
        private readonly CancellationToken _cancellationToken;
        private readonly ulong[] _bits;
        private ulong[] _stackAddress = new ulong[4096];
        private int[] _stackSegment = new int[4096];
        private int _depth;
        private readonly ReferenceBuffer _references = new();
        private long _marked;
        private long _invalid;

        public Marker(HeapIndex index, TReader reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
        {
            _index = index;
            _reader = reader;
            _progress = progress;
            _cancellationToken = cancellationToken;
            ulong[] starts = index.StartBits;
            _bits = PageAdvice.Populated(new ulong[2L * starts.Length <= Array.MaxLength ? 2 * starts.Length
                : throw new LeakExtException("the GC heap's segments span more than 512 GiB; LeakExt marks at most that without holders.")]);
            for (int w = 0; w < starts.Length; w++)
                _bits[2 * w] = starts[w];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public MarkOutcome MarkAndPush(ulong address)
        {
            int segment = _index.FindSegment(address);
            if (segment < 0 || (address & 7) != 0)
                return MarkOutcome.Invalid;
            HeapSegmentInfo info = _index.Segments[segment];
            ulong slot = (address - info.Start) >> 3;
            long word = 2 * (info.FirstWord + (long)(slot >> 6));
            ulong bit = 1UL << (int)(slot & 63);
            if ((_bits[word] & bit) == 0)
                return MarkOutcome.Invalid;
            if ((_bits[word + 1] & bit) != 0)
                return MarkOutcome.AlreadyMarked;
            _bits[word + 1] |= bit;
            if (_depth == _stackAddress.Length)
            {
                Array.Resize(ref _stackAddress, _depth * 2);
                Array.Resize(ref _stackSegment, _depth * 2);
            }
            _stackAddress[_depth] = address;
            _stackSegment[_depth] = segment;
            _depth++;
            return MarkOutcome.Marked;
        }

        public bool IsMarked(ulong address)
        {
            int segment = _index.FindSegment(address);
            if (segment < 0)
                return false;
            HeapSegmentInfo info = _index.Segments[segment];
            ulong slot = (address - info.Start) >> 3;
            return (_bits[2 * (info.FirstWord + (long)(slot >> 6)) + 1] & (1UL << (int)(slot & 63))) != 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Drain()
        {
            TReader reader = _reader;
            while (_depth > 0)
            {
                _depth--;
                int count = reader.Read(_stackAddress[_depth], _stackSegment[_depth], _references);
                ulong[] targets = _references.Targets;
                for (int i = 0; i < count; i++)
                {
                    if (MarkAndPush(targets[i]) == MarkOutcome.Invalid)
                        _invalid++;
                    // One array can hold tens of millions of references: Ctrl-C is checked inside it too.
                    if ((i & 0xFFFF) == 0xFFFF)
                        _cancellationToken.ThrowIfCancellationRequested();
                }

                if ((++_marked & 0xFFFF) == 0)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    _progress?.Report(new WalkProgress("marking live objects", _marked, _index.ObjectCount));
                }
            }
        }

        public MarkResult Finish(long unresolvedRoots)
        {
            ulong[] marks = new ulong[_bits.Length / 2];
            for (int w = 0; w < marks.Length; w++)
                marks[w] = _bits[2 * w + 1];
            return MarkResult.FromWords(marks, unresolvedRoots, _invalid);
        }
    }
}
