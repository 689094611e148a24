using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>
/// Direct pointers to the bytes of every heap segment, so that objects decode with plain loads.
/// An ELF core is memory-mapped and a segment that is stored contiguously is used in place
/// (no copy, pages come from the OS file cache); anything else is read through the target's
/// data reader in 1 MiB blocks into native buffers (cost: the segment's size).
/// Layout: one base pointer per segment, indexed like <see cref="HeapSegmentInfo"/>.
/// </summary>
internal sealed unsafe class SegmentMemory : IDisposable
{
    private const int BlockSize = 1 << 20;

    private readonly byte*[] _bases;
    private readonly List<IntPtr> _ownedBuffers = new();
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _mapPointer;

    /// <summary>Bytes that could not be read (absent from the dump); they read as zero.</summary>
    public long UnreadableBytes { get; private set; }

    /// <summary>Bytes copied into private buffers rather than mapped in place.</summary>
    public long CopiedBytes { get; private set; }

    private SegmentMemory(int count) => _bases = new byte*[count];

    public byte* Base(int segment) => _bases[segment];

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

            for (int i = 0; i < segments.Length; i++)
            {
                HeapSegmentInfo segment = segments[i];
                byte* mapped = core is null ? null : memory.TryMapInPlace(core, segment.Start, segment.End);
                memory._bases[i] = mapped != null ? mapped : memory.Copy(target.DataTarget.DataReader, core, segment.Start, segment.End);
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
        _mapEnd = _mapPointer + core.FileLength;
    }

    /// <summary>A pointer into the mapped file when [start, end) is stored as one contiguous run.</summary>
    private byte* TryMapInPlace(ElfCoreFile core, ulong start, ulong end)
    {
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

    private byte* Copy(IDataReader reader, ElfCoreFile? core, ulong start, ulong end)
    {
        ulong length = end - start;
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)length);
        _ownedBuffers.Add((IntPtr)buffer);
        CopiedBytes += (long)length;
        for (ulong offset = 0; offset < length; offset += BlockSize)
        {
            int chunk = (int)Math.Min(BlockSize, length - offset);
            var span = new Span<byte>(buffer + offset, chunk);
            int read = core is not null ? ReadFromCore(core, start + offset, span) : reader.Read(start + offset, span);
            if (read < chunk)
                UnreadableBytes += chunk - Math.Max(read, 0);
        }
        return buffer;
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
            ulong available = (within < s.FileSize ? s.FileSize - within : 0);
            int take = (int)Math.Min((ulong)(destination.Length - done), Math.Min(available, s.MemorySize - within));
            if (take <= 0)
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
