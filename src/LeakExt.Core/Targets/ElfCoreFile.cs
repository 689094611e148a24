using System.Buffers.Binary;

namespace LeakExt.Core.Targets;

/// <summary>
/// The program headers of an ELF core dump: which virtual ranges are stored where in the file,
/// plus its notes' file mappings and threads' stack pointers.
/// Layout: one <see cref="LoadSegment"/> per PT_LOAD, sorted by virtual address (40 B each).
/// Parsing reads only the headers and notes: O(number of program headers + note bytes).
/// </summary>
public sealed class ElfCoreFile
{
    public readonly record struct LoadSegment(ulong VirtualAddress, ulong MemorySize, ulong FileOffset, ulong FileSize);

    private const uint PtLoad = 1;
    private const ushort EtCore = 4;
    private const ushort PnXnum = 0xffff;

    public string Path { get; }
    public long FileLength { get; }
    public IReadOnlyList<LoadSegment> Segments => _segments;

    /// <summary>The PT_LOADs, sorted by virtual address when the file is read; searched as an array, not through the list interface.</summary>
    private readonly LoadSegment[] _segments;

    /// <summary>Segment <paramref name="index"/> of <see cref="Segments"/>, without the list interface (the reads of every DAC call pass here).</summary>
    public ref readonly LoadSegment SegmentAt(int index) => ref _segments[index];

    /// <summary>
    /// The segment <see cref="FindSegment"/> found last: the DAC's reads come a few words at a time
    /// from the same place, so most lookups end at the first check. Shared by threads; a stale value
    /// is only a guess that is checked.
    /// </summary>
    private int _lastFound;

    /// <summary>File-backed mappings from the NT_FILE note: (start, end, path).</summary>
    public IReadOnlyList<(ulong Start, ulong End, string Path)> MappedFiles { get; private init; } = [];

    /// <summary>Each thread's stack pointer, from its NT_PRSTATUS note (x86-64 and arm64 cores; empty for others).</summary>
    public IReadOnlyList<ulong> StackPointers { get; private init; } = [];

    /// <summary>The highest file offset any header points at: a shorter file is truncated.</summary>
    public ulong RequiredLength { get; }

    private ElfCoreFile(string path, long fileLength, LoadSegment[] segments, ulong requiredLength)
    {
        Path = path;
        FileLength = fileLength;
        _segments = segments;
        RequiredLength = requiredLength;
    }

    public static bool HasElfMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == 0x7f && head[1] == (byte)'E' && head[2] == (byte)'L' && head[3] == (byte)'F';

    /// <summary>Reads the headers; throws <see cref="LeakExtException"/> for a file that is not a usable 64-bit ELF core.</summary>
    public static ElfCoreFile Read(string path)
    {
        using FileStream stream = File.OpenRead(path);
        long length = stream.Length;
        Span<byte> header = stackalloc byte[64];
        if (stream.Read(header) < 64 || !HasElfMagic(header))
            throw new LeakExtException($"'{path}' is not an ELF core dump.");
        if (header[4] != 2)
            throw new LeakExtException($"'{path}' is a 32-bit ELF file; LeakExt reads 64-bit dumps only.");
        if (header[5] != 1)
            throw new LeakExtException($"'{path}' is a big-endian ELF file; LeakExt reads little-endian dumps only.");

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        if (type != EtCore)
            throw new LeakExtException($"'{path}' is an ELF file but not a core dump (e_type {type}); pass a dump written by createdump, dotnet-dump collect or gcore.");

        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(header[40..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header[54..]);
        uint phnum = BinaryPrimitives.ReadUInt16LittleEndian(header[56..]);
        if (phnum == PnXnum)
        {
            // More than 65534 program headers: the real count is in section header 0's sh_info.
            Span<byte> section0 = stackalloc byte[64];
            ReadExactly(stream, path, shoff, section0);
            phnum = BinaryPrimitives.ReadUInt32LittleEndian(section0[44..]);
        }

        if (phentsize < 56)
            throw new LeakExtException($"'{path}' is a corrupt ELF core: program header size {phentsize}.");

        ulong tableEnd = End(phoff, (ulong)phnum * phentsize);
        if (tableEnd > (ulong)length)
            throw Truncated(path, length, tableEnd);

        if ((ulong)phnum * phentsize > int.MaxValue)
            throw new LeakExtException($"'{path}' is a corrupt ELF core: {phnum:N0} program headers.");
        byte[] table = new byte[(int)((ulong)phnum * phentsize)];
        ReadExactly(stream, path, phoff, table);

        var segments = new List<LoadSegment>();
        var notes = new List<(ulong Offset, ulong Size)>();
        ulong required = tableEnd;
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> ph = table.AsSpan(i * phentsize, phentsize);
            uint ptype = BinaryPrimitives.ReadUInt32LittleEndian(ph);
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            ulong vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (filesz > 0)
                required = Math.Max(required, End(offset, filesz));
            if (ptype == PtLoad && memsz > 0)
                segments.Add(new LoadSegment(vaddr, memsz, offset, filesz));
            if (ptype == PtNote && filesz > 0 && End(offset, filesz) <= (ulong)length)
                notes.Add((offset, filesz));
        }

        segments.Sort((a, b) => a.VirtualAddress.CompareTo(b.VirtualAddress));
        var files = new List<(ulong, ulong, string)>();
        var stackPointers = new List<ulong>();
        foreach ((ulong offset, ulong size) in notes)
            if (size < 64 << 20)
                ReadNotes(stream, offset, (int)size, StackPointerOffset(machine), files, stackPointers);
        return new ElfCoreFile(path, length, segments.ToArray(), required) { MappedFiles = files, StackPointers = stackPointers };
    }

    private const uint PtNote = 4;
    private const uint NtPrStatus = 1;
    private const uint NtFile = 0x46494c45;

    /// <summary>
    /// Where the stack pointer is in an NT_PRSTATUS descriptor: the registers (pr_reg) start at 112 in
    /// the 64-bit elf_prstatus; rsp is register 19 of x86-64's user_regs_struct, sp register 31 of arm64's.
    /// </summary>
    private static int StackPointerOffset(ushort machine) => machine switch
    {
        62 => 112 + 19 * 8,
        183 => 112 + 31 * 8,
        _ => -1,
    };

    /// <summary>Reads the notes: NT_FILE (count, page size, (start, end, offset) triples, then the paths) and each thread's NT_PRSTATUS.</summary>
    private static void ReadNotes(FileStream stream, ulong offset, int size, int stackPointerOffset, List<(ulong, ulong, string)> files, List<ulong> stackPointers)
    {
        byte[] data = new byte[size];
        stream.Position = (long)offset;
        if (stream.ReadAtLeast(data, size, throwOnEndOfStream: false) < size)
            return;
        int at = 0;
        while (at + 12 <= size)
        {
            int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
            int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4));
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 8));
            int descStart = at + 12 + ((nameSize + 3) & ~3);
            if (descSize < 0 || descStart + descSize > size)
                return;
            if (type == NtPrStatus && stackPointerOffset >= 0 && descSize >= stackPointerOffset + 8)
                stackPointers.Add(BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(descStart + stackPointerOffset)));
            if (type == NtFile && descSize >= 16)
            {
                ReadOnlySpan<byte> desc = data.AsSpan(descStart, descSize);
                long count = (long)BinaryPrimitives.ReadUInt64LittleEndian(desc);
                if (count < 0 || 16 + count * 24 > descSize)
                    return;
                int names = 16 + (int)count * 24;
                for (int i = 0; i < count; i++)
                {
                    ulong start = BinaryPrimitives.ReadUInt64LittleEndian(desc[(16 + i * 24)..]);
                    ulong end = BinaryPrimitives.ReadUInt64LittleEndian(desc[(24 + i * 24)..]);
                    int terminator = desc[names..].IndexOf((byte)0);
                    if (terminator < 0)
                        return;
                    files.Add((start, end, System.Text.Encoding.UTF8.GetString(desc.Slice(names, terminator))));
                    names += terminator + 1;
                }
            }
            at = descStart + ((descSize + 3) & ~3);
        }
    }

    /// <summary>Throws when the file is shorter than its headers say.</summary>
    public void EnsureComplete()
    {
        if ((ulong)FileLength < RequiredLength)
            throw Truncated(Path, FileLength, RequiredLength);
    }

    /// <summary>Index of the PT_LOAD holding <paramref name="address"/>, or -1.</summary>
    public int FindSegment(ulong address)
    {
        LoadSegment[] segments = _segments;
        int last = _lastFound;
        if ((uint)last < (uint)segments.Length && address - segments[last].VirtualAddress < segments[last].MemorySize)
            return last;
        int lo = 0, hi = segments.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            ref readonly LoadSegment s = ref segments[mid];
            if (address < s.VirtualAddress)
                hi = mid - 1;
            else if (address - s.VirtualAddress >= s.MemorySize)
                lo = mid + 1;
            else
                return _lastFound = mid;
        }
        return -1;
    }

    /// <summary>Where a run of <paramref name="size"/> bytes at <paramref name="offset"/> ends; past any file when the sum overflows (headers can say anything).</summary>
    private static ulong End(ulong offset, ulong size) => offset <= ulong.MaxValue - size ? offset + size : ulong.MaxValue;

    private static LeakExtException Truncated(string path, long length, ulong required) =>
        new($"'{path}' is truncated: the file has {length:N0} bytes but its headers describe {required:N0}; copy or write the dump again.");

    private static void ReadExactly(FileStream stream, string path, ulong offset, Span<byte> buffer)
    {
        stream.Position = (long)offset;
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new LeakExtException($"'{path}' is truncated: its ELF headers end early; copy or write the dump again.");
    }
}
