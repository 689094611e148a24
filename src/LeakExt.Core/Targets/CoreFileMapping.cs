using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Targets;

/// <summary>
/// An ELF core file mapped read-only into our address space, so that the target's memory can be
/// read with plain loads and copies instead of a read system call each (ClrMD's reader issues one
/// per DAC read: 215,000 of them for a heap of 50,000 generic types). Pages come from the OS file
/// cache and cost nothing until touched.
/// Layout: one view of the whole file (a pointer and its length) plus the core's PT_LOAD table.
/// Reads are safe from any thread; the mapping lives as long as the target's data reader.
/// </summary>
internal sealed unsafe class CoreFileMapping : IDisposable
{
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private readonly byte* _start;
    private readonly ulong _length;

    public ElfCoreFile Core { get; }

    public CoreFileMapping(ElfCoreFile core)
    {
        Core = core;
        _map = MemoryMappedFile.CreateFromFile(core.Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _start = pointer + _view.PointerOffset;
        // The file as mapped now, which bounds every read, whatever length its headers were read with.
        _length = (ulong)Math.Min(core.FileLength, _view.Capacity);
    }

    /// <summary>A pointer into the mapped file when [start, end) is stored as one contiguous run inside the file, else null.</summary>
    public byte* TryMapInPlace(ulong start, ulong end)
    {
        if (!InsideFile(FileOffsetOf(start), end - start))
            return null;
        int index = Core.FindSegment(start);
        if (index < 0)
            return null;
        ElfCoreFile.LoadSegment first = Core.Segments[index];
        ulong fileStart = first.FileOffset + (start - first.VirtualAddress);
        ulong expectedFile = first.FileOffset + first.FileSize;
        ulong covered = first.VirtualAddress + Math.Min(first.FileSize, first.MemorySize);
        if (first.FileSize < first.MemorySize && covered < end)
            return null;
        while (covered < end)
        {
            index++;
            if (index >= Core.Segments.Count)
                return null;
            ElfCoreFile.LoadSegment next = Core.Segments[index];
            if (next.VirtualAddress != covered || next.FileOffset != expectedFile || next.FileSize < Math.Min(next.MemorySize, end - covered))
                return null;
            covered = next.VirtualAddress + next.MemorySize;
            expectedFile = next.FileOffset + next.FileSize;
        }
        return _start + fileStart;
    }

    /// <summary>
    /// Copies what the file stores of [address, address + destination.Length), from the start up
    /// to the first byte it does not store (a gap between PT_LOADs, or a part the core leaves out);
    /// returns how many bytes it copied.
    /// </summary>
    public int Read(ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int index = Core.FindSegment(address + (ulong)done);
            if (index < 0)
                return done;
            ref readonly ElfCoreFile.LoadSegment s = ref Core.SegmentAt(index);
            ulong within = address + (ulong)done - s.VirtualAddress;
            ulong available = within < s.FileSize ? s.FileSize - within : 0;
            int take = (int)Math.Min((ulong)(destination.Length - done), Math.Min(available, s.MemorySize - within));
            if (take <= 0 || s.FileOffset > ulong.MaxValue - within || !InsideFile(s.FileOffset + within, (ulong)take))
                return done;
            new ReadOnlySpan<byte>(_start + s.FileOffset + within, take).CopyTo(destination[done..]);
            done += take;
        }
        return done;
    }

    /// <summary>
    /// Asks the kernel to map the file pages under [start, start + length) in one call rather than
    /// one page fault at a time (<see cref="PageAdvice.PopulateForReading"/>); a no-op for memory
    /// outside the mapping.
    /// </summary>
    public void Prefault(byte* start, ulong length)
    {
        if (start >= _start && start + length <= _start + _length)
            PageAdvice.PopulateForReading(start, (long)length);
    }

    /// <summary>
    /// Whether the file stores the word at <paramref name="address"/>, as <see cref="Read"/> of it
    /// would find, answered from the PT_LOAD table alone: no page is touched (a first touch of a
    /// file page costs a fault, about 20 µs on the benchmark's VM).
    /// </summary>
    public bool StoresWord(ulong address) => FileOffsetOf(address) is ulong offset and not ulong.MaxValue && InsideFile(offset, 8)
        && FileOffsetOf(address + 7) == offset + 7;

    /// <summary>Where <paramref name="address"/> is stored in the file, or ulong.MaxValue when nowhere.</summary>
    private ulong FileOffsetOf(ulong address)
    {
        int index = Core.FindSegment(address);
        if (index < 0)
            return ulong.MaxValue;
        ref readonly ElfCoreFile.LoadSegment s = ref Core.SegmentAt(index);
        ulong within = address - s.VirtualAddress;
        return within < s.FileSize && s.FileOffset <= ulong.MaxValue - within ? s.FileOffset + within : ulong.MaxValue;
    }

    /// <summary>Whether [offset, offset + length) lies inside the mapped file (headers can say anything).</summary>
    private bool InsideFile(ulong offset, ulong length) => offset <= _length && length <= _length - offset;

    public void Dispose()
    {
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
