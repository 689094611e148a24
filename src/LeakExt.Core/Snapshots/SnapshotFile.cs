using System.Buffers.Binary;
using System.Text;
using LeakExt.Core.Files;
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

    internal const uint TagInfo = 0x4F464E49;   // "INFO"
    internal const uint TagTotals = 0x4C544F54; // "TOTL"
    internal const uint TagRoots = 0x544F4F52;  // "ROOT"
    internal const uint TagTypes = 0x45505954;  // "TYPE"
    internal const uint TagDiagnostics = 0x47414944; // "DIAG"
    internal const uint TagHolders = 0x444C4F48; // "HOLD"
    internal const uint TagMemory = 0x4D454D50; // "PMEM"
    internal const uint TagPinning = 0x534E4950; // "PINS"

    /// <summary>The largest file this LeakExt writes or reads: a bound checked before a byte is read.</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>Writes the snapshot to <paramref name="path"/> by the rules of <see cref="OutputFile"/>; returns the full path.</summary>
    public static string Write(Snapshot snapshot, string path, OutputOptions? options = null, CancellationToken cancellationToken = default)
    {
        byte[] payload = WritePayload(snapshot);
        if (HeaderSize + payload.LongLength > MaxFileBytes)
            throw new LeakExtException($"the snapshot takes {HeaderSize + payload.LongLength:N0} bytes, more than a {Extension} file may hold ({MaxFileBytes:N0}); it was not saved.");
        byte[] header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), 6u + (snapshot.Memory is null ? 0u : 1u) + (snapshot.Pinning is null ? 0u : 1u));
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), Crc32.Compute(payload));
        return OutputFile.Write(path, options ?? new OutputOptions(), stream =>
        {
            stream.Write(header);
            stream.Write(payload);
        }, cancellationToken);
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
            w.Write(d.IncompleteStackThreads);
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

    public static Snapshot Read(string path) => Read(path, CancellationToken.None);

    public static Snapshot Read(string path, CancellationToken cancellationToken)
    {
        byte[] bytes = InputFile.ReadAll(path, MaxFileBytes, "snapshot file", $"a {Extension} file", cancellationToken);
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
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        if (Crc32.Compute(bytes.AsSpan(HeaderSize)) != expectedCrc)
            throw new LeakExtException($"'{path}' is corrupt: its checksum does not match; save the snapshot again.");

        try
        {
            return SnapshotFileReader.Read(bytes, HeaderSize);
        }
        catch (FormatException ex)
        {
            throw new LeakExtException($"'{path}' is corrupt: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
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
