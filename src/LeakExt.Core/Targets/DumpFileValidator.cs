using System.Buffers.Binary;

namespace LeakExt.Core.Targets;

/// <summary>
/// Checks a dump file before ClrMD sees it, so that a missing, empty, foreign or truncated
/// file gives one clear line instead of an exception from deep inside a reader.
/// </summary>
public static class DumpFileValidator
{
    public enum DumpFormat { ElfCore, WindowsMinidump, MachOCore }

    /// <param name="core">An ELF core's headers, read once here for the caller too; null for other formats.</param>
    public static DumpFormat Validate(string path, out ElfCoreFile? core)
    {
        core = null;
        if (Directory.Exists(path))
            throw new LeakExtException($"'{path}' is a directory; pass the path of a dump file.");
        if (!File.Exists(path))
            throw new LeakExtException($"dump file '{path}' not found; check the path.");

        long length = new FileInfo(path).Length;
        if (length == 0)
            throw new LeakExtException($"'{path}' is empty (0 bytes), not a dump; write one with createdump or 'dotnet-dump collect'.");

        Span<byte> head = stackalloc byte[32];
        int read;
        using (FileStream stream = File.OpenRead(path))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];

        if (ElfCoreFile.HasElfMagic(head))
        {
            core = ElfCoreFile.Read(path);
            core.EnsureComplete();
            return DumpFormat.ElfCore;
        }

        if (head.Length >= 4 && head[0] == (byte)'M' && head[1] == (byte)'D' && head[2] == (byte)'M' && head[3] == (byte)'P')
        {
            ValidateMinidump(path, length, head);
            return DumpFormat.WindowsMinidump;
        }

        if (head.Length >= 16 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0xFEEDFACF)
        {
            uint fileType = BinaryPrimitives.ReadUInt32LittleEndian(head[12..]);
            if (fileType != 4)
                throw new LeakExtException($"'{path}' is a Mach-O file but not a core dump.");
            return DumpFormat.MachOCore;
        }

        if (IsHeapSnapshotOrTrace(head, path) is { } what)
            throw new LeakExtException($"'{path}' is {what}, not a dump; LeakExt reads process dumps (ELF core, Windows minidump, Mach-O core): " +
                                       "write one with 'leakext dump PID FILE' or 'dotnet-dump collect --type Heap'.");
        throw new LeakExtException($"'{path}' is not a dump (expected an ELF core, a Windows minidump or a Mach-O core).");
    }

    /// <summary>
    /// dotnet-gcdump's .gcdump and EventPipe's .nettrace are FastSerialization streams: a length-prefixed
    /// "!FastSerialization.1" (gcdump), or "Nettrace" before it. They hold a sampled object graph or
    /// events, not the process's memory, so no LeakExt command can read them.
    /// </summary>
    private static string? IsHeapSnapshotOrTrace(ReadOnlySpan<byte> head, string path)
    {
        ReadOnlySpan<byte> serialization = "!FastSerialization"u8;
        bool nettrace = head.StartsWith("Nettrace"u8);
        if (nettrace)
            return "an EventPipe trace (.nettrace)";
        if (head.IndexOf(serialization) >= 0 || path.EndsWith(".gcdump", StringComparison.OrdinalIgnoreCase))
            return "a dotnet-gcdump heap graph (.gcdump)";
        return null;
    }

    private static void ValidateMinidump(string path, long length, ReadOnlySpan<byte> head)
    {
        if (head.Length < 16)
            throw new LeakExtException($"'{path}' is truncated: the minidump header is incomplete.");
        uint streamCount = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
        uint directoryRva = BinaryPrimitives.ReadUInt32LittleEndian(head[12..]);
        ulong directoryEnd = directoryRva + streamCount * 12UL;
        if (directoryEnd > (ulong)length)
            throw new LeakExtException($"'{path}' is truncated: the minidump stream directory ends past the end of the file.");

        byte[] directory = new byte[streamCount * 12];
        using FileStream stream = File.OpenRead(path);
        stream.Position = directoryRva;
        stream.ReadExactly(directory);
        for (int i = 0; i < streamCount; i++)
        {
            ReadOnlySpan<byte> entry = directory.AsSpan(i * 12, 12);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            uint rva = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            if ((ulong)rva + size > (ulong)length)
                throw new LeakExtException($"'{path}' is truncated: minidump stream {i} ends past the end of the file; copy or write the dump again.");
        }
    }
}
