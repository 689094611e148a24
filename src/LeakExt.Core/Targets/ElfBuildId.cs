using System.Buffers.Binary;

namespace LeakExt.Core.Targets;

/// <summary>
/// The GNU build id of a local ELF file (libcoreclr.so, libmscordaccore.so): the note the linker
/// stamps into PT_NOTE, and the key debuggers match runtime binaries by. Reads the headers and
/// the notes only (a few KiB).
/// </summary>
internal static class ElfBuildId
{
    private const uint PtNote = 4;
    private const uint NtGnuBuildId = 3;
    private const int MaxNotesBytes = 1 << 16;

    /// <summary>The build id as bytes, or null for a file that is not a 64-bit little-endian ELF file with one.</summary>
    public static byte[]? Read(string path)
    {
        try
        {
            using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (!stream.CanSeek || stream.Length < 64)
                return null;
            Span<byte> header = stackalloc byte[64];
            stream.ReadExactly(header);
            if (!ElfCoreFile.HasElfMagic(header) || header[4] != 2 || header[5] != 1)
                return null;
            ulong programHeaders = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
            ushort entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[54..]);
            ushort count = BinaryPrimitives.ReadUInt16LittleEndian(header[56..]);
            if (entrySize < 56 || programHeaders + (ulong)count * entrySize > (ulong)stream.Length)
                return null;

            byte[] table = new byte[count * entrySize];
            stream.Position = (long)programHeaders;
            stream.ReadExactly(table);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> entry = table.AsSpan(i * entrySize, entrySize);
                if (BinaryPrimitives.ReadUInt32LittleEndian(entry) != PtNote)
                    continue;
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                ulong size = BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]);
                if (size == 0 || size > MaxNotesBytes || offset + size > (ulong)stream.Length)
                    continue;
                byte[] notes = new byte[size];
                stream.Position = (long)offset;
                stream.ReadExactly(notes);
                if (FindGnuBuildId(notes) is { } id)
                    return id;
            }
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EndOfStreamException)
        {
            return null;
        }
    }

    /// <summary>Walks one PT_NOTE block: (namesz, descsz, type, name padded to 4, desc padded to 4)*.</summary>
    private static byte[]? FindGnuBuildId(ReadOnlySpan<byte> notes)
    {
        int at = 0;
        while (at + 12 <= notes.Length)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[at..]);
            uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 8)..]);
            long nameAt = at + 12;
            long descAt = nameAt + Align4(nameSize);
            long next = descAt + Align4(descSize);
            if (next > notes.Length)
                return null;
            if (type == NtGnuBuildId && nameSize == 4 && notes.Slice((int)nameAt, 4).SequenceEqual("GNU\0"u8))
                return notes.Slice((int)descAt, (int)descSize).ToArray();
            at = (int)next;
        }
        return null;
    }

    private static long Align4(uint value) => (value + 3L) & ~3L;
}
