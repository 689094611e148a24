using System.Runtime.InteropServices;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>
/// Direct pointers to the bytes of every heap segment, so that objects decode with plain loads.
/// An ELF core is memory-mapped and a segment that is stored contiguously inside the file is used in
/// place (no copy, pages come from the OS file cache); anything else is read through the target's
/// data reader in 1 MiB blocks into native buffers (cost: the segment's size). Either way every byte
/// of [Start, End) of each segment is readable memory: what the dump lacks reads as zero and is
/// listed per segment (<see cref="Absent"/>), so no read inside a segment can fault.
/// Layout: one base pointer and one (usually empty) list of absent ranges per segment, indexed like
/// <see cref="HeapSegmentInfo"/>.
/// </summary>
internal sealed unsafe class SegmentMemory : IDisposable
{
    private const int BlockSize = 1 << 20;
    private const int PageSize = 4096;

    private readonly byte*[] _bases;
    private readonly List<(ulong Start, ulong End)>[] _absent;
    private readonly List<IntPtr> _ownedBuffers = new();
    /// <summary>The core file's mapping (the target reader's, or one of ours), or null when there is none.</summary>
    private CoreFileMapping? _mapping;
    /// <summary>A mapping this object made itself, and so disposes.</summary>
    private CoreFileMapping? _ownMapping;

    /// <summary>Bytes copied into private buffers rather than mapped in place.</summary>
    public long CopiedBytes { get; private set; }

    private SegmentMemory(int count)
    {
        _bases = new byte*[count];
        _absent = new List<(ulong, ulong)>[count];
    }

    public byte* Base(int segment) => _bases[segment];

    /// <summary>The ranges of a segment that the dump does not hold (they read as zero), in address order.</summary>
    public IReadOnlyList<(ulong Start, ulong End)> Absent(int segment) => _absent[segment];

    /// <summary>Maps a segment's file pages in one call rather than one page fault at a time (see <see cref="CoreFileMapping.Prefault"/>).</summary>
    public void Prefault(int segment, ulong length) => _mapping?.Prefault(_bases[segment], length);

    public static SegmentMemory Create(LeakTarget target, HeapSegmentInfo[] segments, bool allowMapping = true)
    {
        var memory = new SegmentMemory(segments.Length);
        try
        {
            if (allowMapping && target.CoreFile is { FileLength: > 0 } core)
                memory.UseMapping(target, core);

            for (int i = 0; i < segments.Length; i++)
            {
                HeapSegmentInfo segment = segments[i];
                memory._absent[i] = new List<(ulong, ulong)>();
                byte* mapped = memory._mapping is null ? null : memory._mapping.TryMapInPlace(segment.Start, segment.End);
                memory._bases[i] = mapped != null ? mapped : memory.Copy(target.DataTarget.DataReader, segment.Start, segment.End, memory._absent[i]);
            }
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    private void UseMapping(LeakTarget target, ElfCoreFile core)
    {
        _mapping = (target.DataTarget.DataReader as MappedCoreReader)?.Mapping;
        if (_mapping is null || _mapping.Core != core)
            _mapping = _ownMapping = new CoreFileMapping(core);
    }

    /// <summary>A private copy of [start, end): from the mapped core where there is one (the parts it stores), else through the reader.</summary>
    private byte* Copy(IDataReader reader, ulong start, ulong end, List<(ulong, ulong)> absent)
    {
        ulong length = end - start;
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)length);
        _ownedBuffers.Add((IntPtr)buffer);
        CopiedBytes += (long)length;
        Fill(_mapping is not null ? _mapping.Read : reader.Read, start, end, buffer, absent);
        return buffer;
    }

    /// <summary>Reads up to destination.Length bytes at an address; returns how many it read from the start.</summary>
    internal delegate int ReadMemory(ulong address, Span<byte> destination);

    /// <summary>
    /// Reads [start, end) into <paramref name="buffer"/> (zeroed beforehand) in 1 MiB blocks; a block that
    /// comes back short is read again page by page, so that only what the target really lacks stays zero.
    /// The missing ranges are appended to <paramref name="absent"/>, in order, adjacent ones merged.
    /// </summary>
    public static void Fill(ReadMemory read, ulong start, ulong end, byte* buffer, List<(ulong Start, ulong End)> absent)
    {
        ulong length = end - start;
        for (ulong offset = 0; offset < length; offset += BlockSize)
        {
            int chunk = (int)Math.Min(BlockSize, length - offset);
            int done = Math.Clamp(read(start + offset, new Span<byte>(buffer + offset, chunk)), 0, chunk);
            ulong at = start + offset + (ulong)done, blockEnd = start + offset + (ulong)chunk;
            while (at < blockEnd)
            {
                ulong pageEnd = Math.Min((at & ~(ulong)(PageSize - 1)) + PageSize, blockEnd);
                int want = (int)(pageEnd - at);
                int got = Math.Clamp(read(at, new Span<byte>(buffer + (at - start), want)), 0, want);
                if (got < want)
                    AddRange(absent, at + (ulong)got, pageEnd);
                at = pageEnd;
            }
        }
    }

    private static void AddRange(List<(ulong Start, ulong End)> ranges, ulong start, ulong end)
    {
        if (ranges.Count > 0 && ranges[^1].End == start)
            ranges[^1] = (ranges[^1].Start, end);
        else
            ranges.Add((start, end));
    }

    public void Dispose()
    {
        foreach (IntPtr buffer in _ownedBuffers)
            NativeMemory.Free((void*)buffer);
        _ownedBuffers.Clear();
        _ownMapping?.Dispose();
        _ownMapping = null;
        _mapping = null;
    }
}
