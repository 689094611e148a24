using System.Buffers.Binary;
using System.Text;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Snapshots;

/// <summary>
/// Reads and writes <c>.leaksnap</c> files (format: docs/snapshot-format.md).
/// A 32-byte header (magic, version, payload length, CRC-32 of the payload) is followed by
/// tagged sections; readers skip sections they do not know, so later versions can add some.
/// </summary>
public static class SnapshotFile
{
    public const string Extension = ".leaksnap";
    public const ushort FormatVersion = 1;
    private static readonly byte[] Magic = "LEAKSNAP"u8.ToArray();
    private const int HeaderSize = 32;

    private const uint TagInfo = 0x4F464E49;   // "INFO"
    private const uint TagTotals = 0x4C544F54; // "TOTL"
    private const uint TagRoots = 0x544F4F52;  // "ROOT"
    private const uint TagTypes = 0x45505954;  // "TYPE"
    private const uint TagDiagnostics = 0x47414944; // "DIAG"
    private const uint TagHolders = 0x444C4F48; // "HOLD"
    private const uint TagMemory = 0x4D454D50; // "PMEM"
    private const uint TagPinning = 0x534E4950; // "PINS"

    public static void Write(Snapshot snapshot, string path)
    {
        byte[] payload = WritePayload(snapshot);
        byte[] header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), 6u + (snapshot.Memory is null ? 0u : 1u) + (snapshot.Pinning is null ? 0u : 1u));
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), Crc32.Compute(payload));

        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is not null)
            Directory.CreateDirectory(directory);
        string temporary = fullPath + ".tmp";
        using (FileStream stream = File.Create(temporary))
        {
            stream.Write(header);
            stream.Write(payload);
        }
        File.Move(temporary, fullPath, overwrite: true);
    }

    private static byte[] WritePayload(Snapshot snapshot)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);

        WriteSection(writer, TagInfo, w =>
        {
            SnapshotInfo info = snapshot.Info;
            WriteNullable(w, info.Name);
            w.Write(info.TakenAt.ToUnixTimeMilliseconds());
            w.Write(info.Source);
            w.Write(info.ProcessId ?? -1);
            w.Write(info.RuntimeVersion);
            w.Write(info.PointerSize);
            w.Write(info.ServerGc);
            w.Write(info.HeapCount);
            w.Write(info.Reader);
            w.Write(info.WalkSeconds);
            w.Write(snapshot.FinalizerQueueLength);
            w.Write(snapshot.FinalizableObjects);
        });
        WriteSection(writer, TagTotals, w =>
        {
            HeapTotals t = snapshot.Totals;
            w.Write(t.CommittedBytes);
            w.Write(t.ReservedBytes);
            w.Write(t.Generations.Count);
            foreach (GenerationTotals g in t.Generations)
            {
                w.Write(g.Generation);
                w.Write(g.LiveCount); w.Write(g.LiveBytes);
                w.Write(g.DeadCount); w.Write(g.DeadBytes);
                w.Write(g.FreeCount); w.Write(g.FreeBytes);
            }
            w.Write(t.FreeRegionBytes);
        });
        WriteSection(writer, TagRoots, w =>
        {
            w.Write(snapshot.Roots.Count);
            foreach ((string kind, long count) in snapshot.Roots.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                w.Write(kind);
                w.Write(count);
            }
        });
        WriteSection(writer, TagTypes, w =>
        {
            // Module names repeat a lot: write each once and refer to it by number.
            Dictionary<string, int> moduleIds = WriteStringTable(w, snapshot.Types.Select(t => t.Module));
            w.Write(HeapGenerations.Count);
            w.Write(snapshot.Types.Count);
            foreach (TypeStats row in snapshot.Types)
            {
                w.Write(row.Type);
                w.Write7BitEncodedInt(moduleIds[row.Module]);
                for (int g = 0; g < HeapGenerations.Count; g++)
                {
                    w.Write7BitEncodedInt64(row.CountByGeneration[g]);
                    w.Write7BitEncodedInt64(row.BytesByGeneration[g]);
                }
                w.Write7BitEncodedInt64(row.DeadCount);
                w.Write7BitEncodedInt64(row.DeadBytes);
            }
        });
        WriteSection(writer, TagHolders, w =>
        {
            // Holder texts and modules repeat: each once, rows refer to them by number.
            Dictionary<string, int> textIds = WriteStringTable(w, snapshot.Holders.Select(h => h.Holder));
            Dictionary<string, int> moduleIds = WriteStringTable(w, snapshot.Holders.Select(h => h.Module));
            w.Write(snapshot.Holders.Count);
            foreach (HolderStats row in snapshot.Holders)
            {
                w.Write(row.Type);
                w.Write7BitEncodedInt(moduleIds[row.Module]);
                w.Write7BitEncodedInt(textIds[row.Holder]);
                w.Write7BitEncodedInt64(row.Count);
                w.Write7BitEncodedInt64(row.Bytes);
                w.Write(row.ExampleAddress);
            }
        });
        if (snapshot.Memory is { } memory)
        {
            WriteSection(writer, TagMemory, w =>
            {
                w.Write(memory.Source);
                w.Write(memory.GcHeapBytes);
                w.Write(memory.RuntimeNativeBytes);
                w.Write(memory.MappedImageBytes);
                w.Write(memory.StackBytes);
                w.Write(memory.OtherNativeBytes);
            });
        }
        if (snapshot.Pinning is { } pinning)
        {
            WriteSection(writer, TagPinning, w =>
            {
                w.Write(pinning.PinnedObjects);
                w.Write(pinning.FreeBytesBeforePinned);
                w.Write(pinning.LargestFreeBlocks);
                w.Write(pinning.LargestFreeNextToPinned);
            });
        }
        WriteSection(writer, TagDiagnostics, w =>
        {
            SnapshotDiagnostics d = snapshot.Diagnostics;
            w.Write(d.CorruptObjects);
            w.Write(d.InvalidReferences);
            w.Write(d.UnresolvedRoots);
            w.Write(d.UnreadableBytes);
            w.Write(d.ConservativeStackThreads);
        });
        writer.Flush();
        return stream.ToArray();
    }

    private static void WriteSection(BinaryWriter writer, uint tag, Action<BinaryWriter> body)
    {
        using var section = new MemoryStream();
        using (var w = new BinaryWriter(section, Encoding.UTF8, leaveOpen: true))
            body(w);
        writer.Write(tag);
        writer.Write(0u);
        writer.Write(section.Length);
        writer.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    /// <summary>Writes the distinct strings once (count, then each); returns each string's number.</summary>
    private static Dictionary<string, int> WriteStringTable(BinaryWriter w, IEnumerable<string> strings)
    {
        List<string> distinct = strings.Distinct().ToList();
        w.Write(distinct.Count);
        foreach (string text in distinct)
            w.Write(text);
        return distinct.Select((text, i) => (text, i)).ToDictionary(p => p.text, p => p.i);
    }

    private static void WriteNullable(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
            w.Write(value);
    }

    private static string? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    public static Snapshot Read(string path)
    {
        if (Directory.Exists(path))
            throw new LeakExtException($"'{path}' is a directory; pass a {Extension} file.");
        if (!File.Exists(path))
            throw new LeakExtException($"snapshot file '{path}' not found; check the path.");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0)
            throw new LeakExtException($"'{path}' is empty, not a {Extension} file.");
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new LeakExtException($"'{path}' is not a {Extension} file (no LEAKSNAP header).");

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        if (version == 0 || version > FormatVersion)
            throw new LeakExtException($"'{path}' has snapshot format version {version}; this LeakExt reads version {FormatVersion} and older, so update LeakExt.");
        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        if ((ulong)(bytes.Length - HeaderSize) < payloadLength)
            throw new LeakExtException($"'{path}' is truncated: {bytes.Length - HeaderSize:N0} of {payloadLength:N0} payload bytes; save the snapshot again.");
        if ((ulong)(bytes.Length - HeaderSize) > payloadLength)
            throw new LeakExtException($"'{path}' is corrupt: {(ulong)(bytes.Length - HeaderSize) - payloadLength:N0} unexpected bytes after the payload.");
        ReadOnlySpan<byte> payload = bytes.AsSpan(HeaderSize);
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        if (Crc32.Compute(payload) != expectedCrc)
            throw new LeakExtException($"'{path}' is corrupt: its checksum does not match; save the snapshot again.");

        try
        {
            return ReadPayload(bytes, HeaderSize);
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or ArgumentException or OverflowException or IOException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new LeakExtException($"'{path}' is corrupt: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static Snapshot ReadPayload(byte[] bytes, int offset)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, offset, bytes.Length - offset, writable: false), Encoding.UTF8);
        SnapshotInfo? info = null;
        HeapTotals? totals = null;
        var roots = new Dictionary<string, long>();
        TypeStats[]? types = null;
        SnapshotDiagnostics diagnostics = new(0, 0, 0, 0);
        HolderStats[] holders = [];
        Growth.ProcessMemory? memory = null;
        PinningSummary? pinning = null;
        long finalizerQueue = 0, finalizable = 0;

        Stream stream = reader.BaseStream;
        while (stream.Position < stream.Length)
        {
            uint tag = reader.ReadUInt32();
            reader.ReadUInt32();
            long length = reader.ReadInt64();
            long end = stream.Position + length;
            if (length < 0 || end > stream.Length)
                throw new FormatException("a section runs past the end of the file.");
            switch (tag)
            {
                case TagInfo:
                    info = new SnapshotInfo(ReadNullable(reader), DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()), reader.ReadString(),
                        reader.ReadInt32() is int pid && pid >= 0 ? pid : null, reader.ReadString(), reader.ReadInt32(), reader.ReadBoolean(),
                        reader.ReadInt32(), reader.ReadString(), reader.ReadDouble());
                    finalizerQueue = reader.ReadInt64();
                    finalizable = reader.ReadInt64();
                    break;
                case TagTotals:
                    totals = ReadTotals(reader);
                    // Later writers append the free-region bytes.
                    if (stream.Position + 8 <= end)
                        totals = totals with { FreeRegionBytes = reader.ReadInt64() };
                    break;
                case TagRoots:
                    int rootKinds = reader.ReadInt32();
                    for (int i = 0; i < rootKinds; i++)
                        roots[reader.ReadString()] = reader.ReadInt64();
                    break;
                case TagTypes:
                    types = ReadTypes(reader);
                    break;
                case TagMemory:
                    memory = new Growth.ProcessMemory(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(),
                        reader.ReadInt64(), reader.ReadInt64());
                    break;
                case TagHolders:
                    holders = ReadHolders(reader);
                    break;
                case TagPinning:
                    pinning = new PinningSummary(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32());
                    break;
                case TagDiagnostics:
                    diagnostics = new SnapshotDiagnostics(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(),
                        stream.Position + 8 <= end ? reader.ReadInt64() : 0); // files before the conservative count end here
                    break;
            }
            if (stream.Position > end)
                throw new FormatException($"section {tag:x8} is longer than its header says.");
            stream.Position = end;
        }

        if (info is null || totals is null || types is null)
            throw new FormatException("a required section (INFO, TOTL or TYPE) is missing.");
        return new Snapshot(info, totals, types, roots, finalizerQueue, finalizable, diagnostics) { Holders = holders, Memory = memory, Pinning = pinning };
    }

    private static HolderStats[] ReadHolders(BinaryReader reader)
    {
        string[] texts = ReadStrings(reader, "holder");
        string[] modules = ReadStrings(reader, "module");
        int count = reader.ReadInt32();
        if (count < 0 || count > 100_000_000)
            throw new FormatException($"bad holder row count {count}.");
        var rows = new HolderStats[count];
        for (int i = 0; i < count; i++)
        {
            string type = reader.ReadString();
            string module = modules[reader.Read7BitEncodedInt()];
            string holder = texts[reader.Read7BitEncodedInt()];
            rows[i] = new HolderStats(type, module, holder, reader.Read7BitEncodedInt64(), reader.Read7BitEncodedInt64(), reader.ReadUInt64());
        }
        return rows;
    }

    private static string[] ReadStrings(BinaryReader reader, string what)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > 10_000_000)
            throw new FormatException($"bad {what} count {count}.");
        string[] strings = new string[count];
        for (int i = 0; i < count; i++)
            strings[i] = reader.ReadString();
        return strings;
    }

    private static HeapTotals ReadTotals(BinaryReader reader)
    {
        long committed = reader.ReadInt64(), reserved = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count is < 0 or > 64)
            throw new FormatException($"bad generation count {count}.");
        var generations = new GenerationTotals[count];
        for (int i = 0; i < count; i++)
            generations[i] = new GenerationTotals(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(),
                reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
        return new HeapTotals(generations.Sum(g => g.LiveCount), generations.Sum(g => g.LiveBytes), generations.Sum(g => g.DeadCount),
            generations.Sum(g => g.DeadBytes), generations.Sum(g => g.FreeCount), generations.Sum(g => g.FreeBytes), committed, reserved, generations);
    }

    private static TypeStats[] ReadTypes(BinaryReader reader)
    {
        string[] modules = ReadStrings(reader, "module");
        int generations = reader.ReadInt32();
        if (generations != HeapGenerations.Count)
            throw new FormatException($"expected {HeapGenerations.Count} generations per type, found {generations}.");
        int count = reader.ReadInt32();
        if (count < 0 || count > 100_000_000)
            throw new FormatException($"bad type count {count}.");
        var rows = new TypeStats[count];
        for (int i = 0; i < count; i++)
        {
            string type = reader.ReadString();
            string module = modules[reader.Read7BitEncodedInt()];
            long[] counts = new long[generations], sizes = new long[generations];
            long total = 0, bytes = 0;
            for (int g = 0; g < generations; g++)
            {
                counts[g] = reader.Read7BitEncodedInt64();
                sizes[g] = reader.Read7BitEncodedInt64();
                total += counts[g];
                bytes += sizes[g];
            }
            rows[i] = new TypeStats(type, module, total, bytes, counts, sizes, reader.Read7BitEncodedInt64(), reader.Read7BitEncodedInt64());
        }
        return rows;
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven: 1 KiB table, O(n).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
