using System.IO.MemoryMappedFiles;
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
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _mapPointer;

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

    /// <summary>
    /// Asks the kernel to map a segment's file pages in one call (MADV_POPULATE_READ) rather
    /// than one page fault at a time; a no-op where that is not available.
    /// </summary>
    public void Prefault(int segment, ulong length)
    {
        if (!OperatingSystem.IsLinux() || _mapPointer == null)
            return;
        byte* start = _bases[segment];
        if (start < _mapPointer)
            return;
        const long PageMask = 4095;
        byte* aligned = (byte*)((long)start & ~PageMask);
        nuint span = (nuint)(start - aligned) + (nuint)length;
        if (aligned + span <= _mapEnd)
            _ = Madvise((IntPtr)aligned, span, MadvPopulateRead);
    }

    private const int MadvPopulateRead = 22;
    private byte* _mapEnd;
    private ulong _mapLength;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(IntPtr address, nuint length, int advice);

    public static SegmentMemory Create(LeakTarget target, HeapSegmentInfo[] segments, bool allowMapping = true)
    {
        var memory = new SegmentMemory(segments.Length);
        try
        {
            ElfCoreFile? core = allowMapping ? target.CoreFile : null;
            if (core is not null && core.FileLength > 0)
                memory.MapCore(core);
            else
                core = null;

            for (int i = 0; i < segments.Length; i++)
            {
                HeapSegmentInfo segment = segments[i];
                memory._absent[i] = new List<(ulong, ulong)>();
                byte* mapped = core is null ? null : memory.TryMapInPlace(core, segment.Start, segment.End);
                memory._bases[i] = mapped != null ? mapped : memory.Copy(target.DataTarget.DataReader, core, segment.Start, segment.End, memory._absent[i]);
            }
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    private void MapCore(ElfCoreFile core)
    {
        _map = MemoryMappedFile.CreateFromFile(core.Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _mapPointer = pointer + _view.PointerOffset;
        // The file as mapped now, which bounds every read, whatever length its headers were read with.
        _mapLength = (ulong)Math.Min(core.FileLength, _view.Capacity);
        _mapEnd = _mapPointer + _mapLength;
    }

    /// <summary>A pointer into the mapped file when [start, end) is stored as one contiguous run inside the file.</summary>
    private byte* TryMapInPlace(ElfCoreFile core, ulong start, ulong end)
    {
        if (_mapPointer == null || !InsideFile(FileOffsetOf(core, start), end - start))
            return null;
        int index = core.FindSegment(start);
        if (index < 0)
            return null;
        ElfCoreFile.LoadSegment first = core.Segments[index];
        ulong fileStart = first.FileOffset + (start - first.VirtualAddress);
        ulong expectedFile = first.FileOffset + first.FileSize;
        ulong covered = first.VirtualAddress + Math.Min(first.FileSize, first.MemorySize);
        if (first.FileSize < first.MemorySize && covered < end)
            return null;
        while (covered < end)
        {
            index++;
            if (index >= core.Segments.Count)
                return null;
            ElfCoreFile.LoadSegment next = core.Segments[index];
            if (next.VirtualAddress != covered || next.FileOffset != expectedFile || next.FileSize < Math.Min(next.MemorySize, end - covered))
                return null;
            covered = next.VirtualAddress + next.MemorySize;
            expectedFile = next.FileOffset + next.FileSize;
        }
        return _mapPointer + fileStart;
    }

    /// <summary>Where <paramref name="address"/> is stored in the file, or ulong.MaxValue when nowhere.</summary>
    private static ulong FileOffsetOf(ElfCoreFile core, ulong address)
    {
        int index = core.FindSegment(address);
        if (index < 0)
            return ulong.MaxValue;
        ElfCoreFile.LoadSegment s = core.Segments[index];
        ulong within = address - s.VirtualAddress;
        return within < s.FileSize && s.FileOffset <= ulong.MaxValue - within ? s.FileOffset + within : ulong.MaxValue;
    }

    /// <summary>Whether [offset, offset + length) lies inside the mapped file (headers can say anything).</summary>
    private bool InsideFile(ulong offset, ulong length) => offset <= _mapLength && length <= _mapLength - offset;

    private byte* Copy(IDataReader reader, ElfCoreFile? core, ulong start, ulong end, List<(ulong, ulong)> absent)
    {
        ulong length = end - start;
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)length);
        _ownedBuffers.Add((IntPtr)buffer);
        CopiedBytes += (long)length;
        if (core is not null)
            Fill((address, destination) => ReadFromCore(core, address, destination), start, end, buffer, absent);
        else
            Fill(reader.Read, start, end, buffer, absent);
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

    private int ReadFromCore(ElfCoreFile core, ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int index = core.FindSegment(address + (ulong)done);
            if (index < 0)
                return done;
            ElfCoreFile.LoadSegment s = core.Segments[index];
            ulong within = address + (ulong)done - s.VirtualAddress;
            ulong available = within < s.FileSize ? s.FileSize - within : 0;
            int take = (int)Math.Min((ulong)(destination.Length - done), Math.Min(available, s.MemorySize - within));
            if (take <= 0 || s.FileOffset > ulong.MaxValue - within || !InsideFile(s.FileOffset + within, (ulong)take))
                return done;
            new ReadOnlySpan<byte>(_mapPointer + s.FileOffset + within, take).CopyTo(destination[done..]);
            done += take;
        }
        return done;
    }

    public void Dispose()
    {
        foreach (IntPtr buffer in _ownedBuffers)
            NativeMemory.Free((void*)buffer);
        _ownedBuffers.Clear();
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _view = null;
        }
        _map?.Dispose();
        _map = null;
    }
}
