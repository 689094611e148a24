namespace LeakExt.Core.Heap;

/// <summary>Which objects are live, and what the marking met on the way.</summary>
internal sealed class MarkResult
{
    public required Bitset Live { get; init; }

    /// <summary>Roots that point at no object of the heap (stale stack slots, corrupt handles).</summary>
    public required long UnresolvedRoots { get; init; }

    /// <summary>References that point at no object start (corruption): counted, not followed.</summary>
    public required long InvalidReferences { get; init; }
}

/// <summary>
/// Marks the objects reachable from strong roots. Weak handles keep nothing alive; a dependent
/// handle's secondary is live only once its primary is (repeated until nothing changes).
/// Frozen (non-GC) objects are never collected, so they are live by definition.
/// Layout: the live set is a bitset over object indices (N/8 bytes); an explicit stack of
/// (index, address) pairs replaces recursion (12 B per pending object).
/// Cost: O(live objects + their references) for the reader, plus O(dependent handles × rounds).
/// </summary>
internal static class LiveMarker
{
    public static MarkResult Mark<TReader>(HeapIndex index, RootSet roots, TReader reader, IProgress<WalkProgress>? progress,
        CancellationToken cancellationToken) where TReader : IReferenceReader
    {
        var marker = new Marker<TReader>(index, reader, progress, cancellationToken);

        long unresolved = 0;
        foreach (ulong root in roots.Objects)
        {
            int target = index.IndexOf(root);
            if (target < 0)
                target = index.IndexOfContaining(root);
            if (target < 0)
                unresolved++;
            else
                marker.MarkAndPush(target, target == index.IndexOf(root) ? root : index.AddressOf(target));
        }

        for (int s = 0; s < index.Segments.Length; s++)
        {
            if (index.Segments[s].Kind != Microsoft.Diagnostics.Runtime.GCSegmentKind.Frozen)
                continue;
            var frozen = new PushAll<TReader>(marker);
            index.ForEachInSegment(s, ref frozen);
        }
        marker.Drain();

        bool changed = roots.DependentHandles.Length > 0;
        while (changed)
        {
            changed = false;
            foreach ((ulong primary, ulong secondary) in roots.DependentHandles)
            {
                int p = index.IndexOf(primary);
                int s = index.IndexOf(secondary);
                if (p >= 0 && s >= 0 && marker.Live[p] && !marker.Live[s])
                {
                    marker.MarkAndPush(s, secondary);
                    marker.Drain();
                    changed = true;
                }
            }
        }

        return new MarkResult { Live = marker.Live, UnresolvedRoots = unresolved, InvalidReferences = marker.InvalidReferences };
    }

    private readonly struct PushAll<TReader>(Marker<TReader> marker) : IObjectVisitor where TReader : IReferenceReader
    {
        public void Visit(int index, ulong address) => marker.MarkAndPush(index, address);
    }

    private sealed class Marker<TReader>(HeapIndex index, TReader reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
        where TReader : IReferenceReader
    {
        private int[] _stackIndex = new int[4096];
        private ulong[] _stackAddress = new ulong[4096];
        private int _depth;
        private ulong[] _references = new ulong[256];
        private long _marked;

        public Bitset Live { get; } = new(index.ObjectCount);
        public long InvalidReferences { get; private set; }

        public void MarkAndPush(int target, ulong address)
        {
            if (!Live.TrySet(target))
                return;
            if (_depth == _stackIndex.Length)
            {
                Array.Resize(ref _stackIndex, _depth * 2);
                Array.Resize(ref _stackAddress, _depth * 2);
            }
            _stackIndex[_depth] = target;
            _stackAddress[_depth] = address;
            _depth++;
        }

        public void Drain()
        {
            TReader refs = reader;
            while (_depth > 0)
            {
                _depth--;
                int current = _stackIndex[_depth];
                int count = refs.Read(current, _stackAddress[_depth], ref _references);
                for (int i = 0; i < count; i++)
                {
                    ulong address = _references[i];
                    int target = index.IndexOf(address);
                    if (target < 0)
                    {
                        InvalidReferences++;
                        continue;
                    }
                    MarkAndPush(target, address);
                }

                if ((++_marked & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report(new WalkProgress("marking live objects", _marked, index.ObjectCount));
                }
            }
        }
    }
}
