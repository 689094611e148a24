using System.Buffers.Binary;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Writes a small but well-formed ELF core of a process that has no .NET runtime: one PT_NOTE and one page of memory.</summary>
internal static class SyntheticCore
{
    public static void WriteNativeProcessCore(string path)
    {
        const int headerSize = 64, programHeaderSize = 56, programHeaders = 2;
        int noteOffset = headerSize + programHeaders * programHeaderSize;
        byte[] note = new byte[0];
        int loadOffset = 4096;
        byte[] file = new byte[loadOffset + 4096];
        Span<byte> h = file;
        h[0] = 0x7f; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = 2; h[5] = 1; h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 4);     // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62);    // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], programHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], programHeaders);

        Span<byte> noteHeader = h.Slice(headerSize, programHeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(noteHeader, 4);   // PT_NOTE
        BinaryPrimitives.WriteUInt64LittleEndian(noteHeader[8..], (ulong)noteOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(noteHeader[32..], (ulong)note.Length);

        Span<byte> load = h.Slice(headerSize + programHeaderSize, programHeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(load, 1);         // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(load[4..], 6);    // RW
        BinaryPrimitives.WriteUInt64LittleEndian(load[8..], (ulong)loadOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(load[16..], 0x400000);
        BinaryPrimitives.WriteUInt64LittleEndian(load[32..], 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(load[40..], 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(load[48..], 4096);
        File.WriteAllBytes(path, file);
    }
}
