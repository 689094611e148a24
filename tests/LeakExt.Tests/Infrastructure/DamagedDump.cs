using System.Buffers.Binary;
using LeakExt.Core.Targets;

namespace LeakExt.Tests.Infrastructure;

/// <summary>
/// A private copy of a real ELF core dump that a test damages on purpose, as an attacker or a
/// crashing process would: bytes at a virtual address (found through the PT_LOAD program headers,
/// which map addresses to file offsets), or raw bytes of the ELF headers. Every write is logged so
/// <see cref="Restore"/> gives back the pristine copy for the next damage; nothing touches the
/// fixture's own dumps.
/// </summary>
internal sealed class DamagedDump : IDisposable
{
    private readonly List<(long Offset, byte[] Original)> _undo = new();

    public DamagedDump(string source, string path)
    {
        File.Copy(source, path, overwrite: true);
        Path = path;
        Core = ElfCoreFile.Read(path);
    }

    public string Path { get; }

    /// <summary>The copy's program headers, as read before any damage.</summary>
    public ElfCoreFile Core { get; }

    /// <summary>Where in the file the byte at <paramref name="address"/> is stored; throws when the dump does not hold it.</summary>
    public long FileOffset(ulong address)
    {
        int index = Core.FindSegment(address);
        if (index < 0 || address - Core.Segments[index].VirtualAddress >= Core.Segments[index].FileSize)
            throw new InvalidOperationException($"the dump does not store 0x{address:x}");
        ElfCoreFile.LoadSegment segment = Core.Segments[index];
        return (long)(segment.FileOffset + (address - segment.VirtualAddress));
    }

    /// <summary>Whether the dump stores any byte at <paramref name="address"/>.</summary>
    public bool Holds(ulong address) => Core.FindSegment(address) >= 0;

    public void WriteUInt64(ulong address, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        Write(address, bytes);
    }

    public void WriteUInt32(ulong address, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Write(address, bytes);
    }

    public void Zero(ulong address, int length) => Write(address, new byte[length]);

    /// <summary>Writes bytes at a virtual address, byte run by byte run wherever the program headers store them.</summary>
    public void Write(ulong address, ReadOnlySpan<byte> bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            ulong at = address + (ulong)done;
            long offset = FileOffset(at);
            ElfCoreFile.LoadSegment segment = Core.Segments[Core.FindSegment(at)];
            int run = (int)Math.Min((ulong)(bytes.Length - done), segment.FileSize - (at - segment.VirtualAddress));
            WriteFile(offset, bytes.Slice(done, run));
            done += run;
        }
    }

    /// <summary>Writes raw bytes at a file offset (ELF headers).</summary>
    public void WriteFile(long offset, ReadOnlySpan<byte> bytes)
    {
        using FileStream file = File.Open(Path, FileMode.Open, FileAccess.ReadWrite);
        byte[] original = new byte[bytes.Length];
        file.Position = offset;
        file.ReadExactly(original);
        _undo.Add((offset, original));
        file.Position = offset;
        file.Write(bytes);
    }

    /// <summary>The file offset of the program header that maps <paramref name="address"/>, for damaging that header's fields.</summary>
    public long ProgramHeaderOf(ulong address)
    {
        using FileStream file = File.OpenRead(Path);
        Span<byte> header = stackalloc byte[64];
        file.ReadExactly(header);
        long table = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[54..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(header[56..]);
        byte[] entry = new byte[entrySize];
        for (int i = 0; i < count; i++)
        {
            file.Position = table + (long)i * entrySize;
            file.ReadExactly(entry);
            ulong start = BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(16));
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(40));
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) == 1 && address - start < size)
                return table + (long)i * entrySize;
        }
        throw new InvalidOperationException($"no PT_LOAD maps 0x{address:x}");
    }

    /// <summary>Undoes every write, newest first.</summary>
    public void Restore()
    {
        for (int i = _undo.Count - 1; i >= 0; i--)
        {
            using FileStream file = File.Open(Path, FileMode.Open, FileAccess.Write);
            file.Position = _undo[i].Offset;
            file.Write(_undo[i].Original);
        }
        _undo.Clear();
    }

    public void Dispose() => File.Delete(Path);
}
