using System.Buffers.Binary;
using System.Text;
using LeakExt.Core.Heap;

namespace LeakExt.Core.Snapshots;

/// <summary>
/// Parses a .leaksnap payload (docs/snapshot-format.md) and refuses anything a LeakExt could not
/// have written, with the reason (the caller names the file): each section read within its own
/// length; every count checked against the bytes that could hold it before anything is allocated;
/// every number between 0 and <see cref="MaxAmount"/>; each known section, type row, holder row and
/// root kind at most once; objects never smaller than a pointer; and the generation totals equal to
/// the sums of the type rows. Throws <see cref="FormatException"/>.
/// </summary>
internal static class SnapshotFileReader
{
    /// <summary>2^56 bytes (64 PiB): more than any process can address (57-bit virtual addresses).</summary>
    public const long MaxAmount = 1L << 56;

    public static Snapshot Read(byte[] bytes, int offset)
    {
        SnapshotInfo? info = null;
        HeapTotals? totals = null;
        Dictionary<string, long>? roots = null;
        TypeStats[]? types = null;
        SnapshotDiagnostics? diagnostics = null;
        HolderStats[]? holders = null;
        Growth.ProcessMemory? memory = null;
        PinningSummary? pinning = null;
        long finalizerQueue = 0, finalizable = 0;

        int position = offset;
        while (position < bytes.Length)
        {
            if (bytes.Length - position < 16)
                throw new FormatException("a section header is cut off.");
            uint tag = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(position + 8));
            position += 16;
            if (length < 0 || length > bytes.Length - position)
                throw new FormatException($"section {TagName(tag)} runs past the end of the file.");
            var r = new Section(new MemoryStream(bytes, position, (int)length, writable: false), TagName(tag));
            position += (int)length;
            switch (tag)
            {
                case SnapshotFile.TagInfo:
                    Once(info, r);
                    info = ReadInfo(r, out finalizerQueue, out finalizable);
                    break;
                case SnapshotFile.TagTotals:
                    Once(totals, r);
                    totals = ReadTotals(r);
                    if (r.HasMore(8)) // later writers append the free-region bytes
                        totals = totals with { FreeRegionBytes = r.Amount("free region bytes") };
                    break;
                case SnapshotFile.TagRoots:
                    Once(roots, r);
                    roots = ReadRoots(r);
                    break;
                case SnapshotFile.TagTypes:
                    Once(types, r);
                    types = ReadTypes(r);
                    break;
                case SnapshotFile.TagMemory:
                    Once(memory, r);
                    memory = new Growth.ProcessMemory(r.Text(), r.Amount("GC heap bytes"), r.Amount("runtime native bytes"),
                        r.Amount("mapped file bytes"), r.Amount("stack bytes"), r.Amount("other native bytes"));
                    break;
                case SnapshotFile.TagHolders:
                    Once(holders, r);
                    holders = ReadHolders(r);
                    break;
                case SnapshotFile.TagPinning:
                    Once(pinning, r);
                    pinning = new PinningSummary(r.Amount("pinned objects"), r.Amount("free bytes before pinned objects"),
                        r.SmallCount("largest free blocks"), r.SmallCount("largest free blocks next to pinned objects"));
                    break;
                case SnapshotFile.TagDiagnostics:
                    Once(diagnostics, r);
                    diagnostics = new SnapshotDiagnostics(r.Amount("corrupt objects"), r.Amount("invalid references"),
                        r.Amount("unresolved roots"), r.Amount("unreadable bytes"),
                        r.HasMore(8) ? r.Amount("conservatively scanned threads") : 0, // files before these counts end here
                        r.HasMore(8) ? r.Amount("threads whose stack walk ended early") : 0);
                    break;
            }
        }

        if (info is null || totals is null || types is null)
            throw new FormatException("a required section (INFO, TOTL or TYPE) is missing.");
        var snapshot = new Snapshot(info, totals, types, roots ?? new Dictionary<string, long>(), finalizerQueue, finalizable,
            diagnostics ?? new SnapshotDiagnostics(0, 0, 0, 0)) { Holders = holders ?? [], Memory = memory, Pinning = pinning };
        CheckConsistency(snapshot);
        return snapshot;
    }

    private static void Once(object? already, Section section)
    {
        if (already is not null)
            throw new FormatException($"section {section.Tag} appears twice.");
    }

    private static string TagName(uint tag)
    {
        Span<char> name = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            char c = (char)((tag >> (8 * i)) & 0xFF);
            name[i] = c is >= ' ' and <= '~' ? c : '?';
        }
        return name.ToString();
    }

    private static SnapshotInfo ReadInfo(Section r, out long finalizerQueue, out long finalizable)
    {
        string? name = r.Boolean() ? r.Text() : null;
        long takenAtMs = r.Int64();
        if (takenAtMs is < -62_135_596_800_000 or > 253_402_300_799_999)
            throw new FormatException($"the time it was taken ({takenAtMs} ms since 1970) is not a date.");
        string source = r.Text();
        int pid = r.Int32();
        if (pid < -1)
            throw new FormatException($"the process id {pid} is not a process id.");
        string runtime = r.Text();
        int pointerSize = r.Int32();
        if (pointerSize is not (4 or 8))
            throw new FormatException($"the pointer size {pointerSize} is neither 4 nor 8.");
        bool server = r.Boolean();
        int heaps = r.Int32();
        if (heaps is < 0 or > 65_536)
            throw new FormatException($"the heap count {heaps} is not a heap count.");
        string reader = r.Text();
        double seconds = r.Double();
        if (!double.IsFinite(seconds) || seconds < 0)
            throw new FormatException($"the walk time {seconds} is not a duration.");
        finalizerQueue = r.Amount("finalizer queue length");
        finalizable = r.Amount("finalizable objects");
        return new SnapshotInfo(name, DateTimeOffset.FromUnixTimeMilliseconds(takenAtMs), source, pid >= 0 ? pid : null, runtime,
            pointerSize, server, heaps, reader, seconds);
    }

    private static HeapTotals ReadTotals(Section r)
    {
        long committed = r.Amount("committed bytes"), reserved = r.Amount("reserved bytes");
        int count = r.Count("generation", minBytesEach: 49);
        if (count != HeapGenerations.Count)
            throw new FormatException($"expected {HeapGenerations.Count} generations in the totals, found {count}.");
        var generations = new GenerationTotals[count];
        for (int g = 0; g < count; g++)
        {
            string name = r.Text();
            if (name != HeapGenerations.Names[g])
                throw new FormatException($"generation {g + 1} of the totals is '{name}', expected '{HeapGenerations.Names[g]}'.");
            generations[g] = new GenerationTotals(name, r.Amount("live count"), r.Amount("live bytes"), r.Amount("dead count"),
                r.Amount("dead bytes"), r.Amount("free count"), r.Amount("free bytes"));
        }
        return new HeapTotals(Sum(generations, g => g.LiveCount), Sum(generations, g => g.LiveBytes), Sum(generations, g => g.DeadCount),
            Sum(generations, g => g.DeadBytes), Sum(generations, g => g.FreeCount), Sum(generations, g => g.FreeBytes), committed, reserved, generations);
    }

    private static Dictionary<string, long> ReadRoots(Section r)
    {
        int count = r.Count("root kind", minBytesEach: 9);
        var roots = new Dictionary<string, long>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string kind = r.Text();
            if (!roots.TryAdd(kind, r.Amount($"'{kind}' root count")))
                throw new FormatException($"root kind '{kind}' appears twice.");
        }
        return roots;
    }

    private static TypeStats[] ReadTypes(Section r)
    {
        string[] modules = r.Strings("module");
        int generations = r.Int32();
        if (generations != HeapGenerations.Count)
            throw new FormatException($"expected {HeapGenerations.Count} generations per type, found {generations}.");
        // Each row takes at least: name length, module index, and 2 varints per generation plus 2 for the dead.
        int count = r.Count("type row", minBytesEach: 2 + 2 * generations + 2);
        var rows = new TypeStats[count];
        var seen = new HashSet<TypeKey>(count);
        for (int i = 0; i < count; i++)
        {
            string type = r.Text();
            string module = r.Pick(modules, "module");
            if (!seen.Add(new TypeKey(type, module)))
                throw new FormatException($"type '{type}' [{module}] appears twice.");
            long[] counts = new long[generations], sizes = new long[generations];
            for (int g = 0; g < generations; g++)
            {
                counts[g] = r.VarAmount("live count");
                sizes[g] = r.VarAmount("live bytes");
            }
            rows[i] = new TypeStats(type, module, Sum(counts), Sum(sizes), counts, sizes, r.VarAmount("dead count"), r.VarAmount("dead bytes"));
        }
        return rows;
    }

    private static HolderStats[] ReadHolders(Section r)
    {
        string[] texts = r.Strings("holder");
        string[] modules = r.Strings("module");
        int count = r.Count("holder row", minBytesEach: 13);
        var rows = new HolderStats[count];
        var seen = new HashSet<(string, string, string)>(count);
        for (int i = 0; i < count; i++)
        {
            string type = r.Text();
            string module = r.Pick(modules, "module");
            string holder = r.Pick(texts, "holder");
            if (!seen.Add((type, module, holder)))
                throw new FormatException($"type '{type}' [{module}] under holder '{holder}' appears twice.");
            rows[i] = new HolderStats(type, module, holder, r.VarAmount("holder count"), r.VarAmount("holder bytes"), r.UInt64());
        }
        return rows;
    }

    /// <summary>Checks across sections: object sizes, and totals against the rows they sum.</summary>
    private static void CheckConsistency(Snapshot s)
    {
        int pointer = s.Info.PointerSize;
        const int G = HeapGenerations.Count;
        foreach (GenerationTotals g in s.Totals.Generations)
        {
            Objects(g.LiveCount, g.LiveBytes, pointer, $"{g.Generation} live");
            Objects(g.DeadCount, g.DeadBytes, pointer, $"{g.Generation} dead");
            Objects(g.FreeCount, g.FreeBytes, pointer, $"{g.Generation} free");
        }
        long heapBytes = Add(Add(s.Totals.LiveBytes, s.Totals.DeadBytes), s.Totals.FreeBytes);
        if (heapBytes > MaxAmount)
            throw new FormatException($"its totals add up to {heapBytes:N0} bytes, more than a process can hold.");

        long[] liveCount = new long[G], liveBytes = new long[G];
        long deadCount = 0, deadBytes = 0;
        foreach (TypeStats t in s.Types)
        {
            for (int g = 0; g < G; g++)
            {
                Objects(t.CountByGeneration[g], t.BytesByGeneration[g], pointer, $"type '{t.Type}' ({HeapGenerations.Names[g]})");
                liveCount[g] = Add(liveCount[g], t.CountByGeneration[g]);
                liveBytes[g] = Add(liveBytes[g], t.BytesByGeneration[g]);
            }
            Objects(t.DeadCount, t.DeadBytes, pointer, $"type '{t.Type}' (dead)");
            deadCount = Add(deadCount, t.DeadCount);
            deadBytes = Add(deadBytes, t.DeadBytes);
        }
        for (int g = 0; g < G; g++)
        {
            GenerationTotals total = s.Totals.Generations[g];
            if (liveCount[g] != total.LiveCount || liveBytes[g] != total.LiveBytes)
                throw new FormatException($"its {total.Generation} totals ({total.LiveCount:N0} live objects, {total.LiveBytes:N0} bytes) do not match its type rows ({liveCount[g]:N0}, {liveBytes[g]:N0}).");
        }
        if (deadCount != s.Totals.DeadCount || deadBytes != s.Totals.DeadBytes)
            throw new FormatException($"its dead totals ({s.Totals.DeadCount:N0} objects, {s.Totals.DeadBytes:N0} bytes) do not match its type rows ({deadCount:N0}, {deadBytes:N0}).");

        long holderCount = 0, holderBytes = 0;
        foreach (HolderStats h in s.Holders)
        {
            Objects(h.Count, h.Bytes, pointer, $"type '{h.Type}' under holder '{h.Holder}'");
            holderCount = Add(holderCount, h.Count);
            holderBytes = Add(holderBytes, h.Bytes);
        }
        if (holderCount > s.Totals.LiveCount || holderBytes > s.Totals.LiveBytes)
            throw new FormatException($"its holder rows ({holderCount:N0} objects, {holderBytes:N0} bytes) hold more than its live totals ({s.Totals.LiveCount:N0}, {s.Totals.LiveBytes:N0}).");
    }

    /// <summary>No object is smaller than its MethodTable pointer; bytes without objects are none either.</summary>
    private static void Objects(long count, long bytes, int pointerSize, string what)
    {
        if (count > bytes / pointerSize || (count == 0 && bytes != 0))
            throw new FormatException($"{what}: {count:N0} objects cannot take {bytes:N0} bytes.");
    }

    private static long Add(long a, long b) =>
        a <= long.MaxValue - b ? a + b : throw new FormatException("its numbers add up to more than 2^63.");

    private static long Sum(long[] values)
    {
        long sum = 0;
        foreach (long v in values)
            sum = Add(sum, v);
        return sum;
    }

    private static long Sum(GenerationTotals[] generations, Func<GenerationTotals, long> value)
    {
        long sum = 0;
        foreach (GenerationTotals g in generations)
            sum = Add(sum, value(g));
        return sum;
    }

    /// <summary>One section's body: reads never leave it (running short is "cut off"), numbers are range-checked.</summary>
    private sealed class Section(MemoryStream body, string tag)
    {
        private readonly BinaryReader _reader = new(body, Encoding.UTF8);

        public string Tag { get; } = tag;

        private long Remaining => body.Length - body.Position;

        /// <summary>Whether a field added later is there: a section written before it ends early.</summary>
        public bool HasMore(int bytes) => Remaining >= bytes;

        private T Guard<T>(Func<BinaryReader, T> read)
        {
            try
            {
                return read(_reader);
            }
            catch (EndOfStreamException)
            {
                throw new FormatException($"section {Tag} is cut off.");
            }
        }

        public bool Boolean() => Guard(r => r.ReadBoolean());
        public int Int32() => Guard(r => r.ReadInt32());
        public long Int64() => Guard(r => r.ReadInt64());
        public ulong UInt64() => Guard(r => r.ReadUInt64());
        public double Double() => Guard(r => r.ReadDouble());

        public long Amount(string what) => Check(Int64(), what);

        /// <summary>A small count written as an i32: never negative.</summary>
        public int SmallCount(string what)
        {
            int value = Int32();
            return value >= 0 ? value : throw new FormatException($"section {Tag}: {what} {value:N0} is impossible (never negative).");
        }

        public long VarAmount(string what) => Check(Guard(r => r.Read7BitEncodedInt64()), what);

        private long Check(long value, string what) => value is >= 0 and <= MaxAmount
            ? value
            : throw new FormatException($"section {Tag}: {what} {value:N0} is impossible (at most 2^56, never negative).");

        /// <summary>A count of items, each taking at least <paramref name="minBytesEach"/> bytes: never more than the section can hold.</summary>
        public int Count(string what, int minBytesEach)
        {
            int count = Int32();
            if (count < 0 || count > Remaining / minBytesEach)
                throw new FormatException($"section {Tag}: {count:N0} {what}s cannot fit in its {Remaining:N0} remaining bytes.");
            return count;
        }

        /// <summary>A length-prefixed UTF-8 string (as BinaryWriter writes it), its length checked before it is read.</summary>
        public string Text()
        {
            int length = Guard(r => r.Read7BitEncodedInt());
            if (length < 0 || length > Remaining)
                throw new FormatException($"section {Tag}: a string of {length:N0} bytes cannot fit in its {Remaining:N0} remaining bytes.");
            return Encoding.UTF8.GetString(Guard(r => r.ReadBytes(length)));
        }

        public string[] Strings(string what)
        {
            int count = Count(what, minBytesEach: 1);
            string[] strings = new string[count];
            for (int i = 0; i < count; i++)
                strings[i] = Text();
            return strings;
        }

        public string Pick(string[] table, string what)
        {
            int index = Guard(r => r.Read7BitEncodedInt());
            if (index < 0 || index >= table.Length)
                throw new FormatException($"section {Tag}: a row names {what} {index:N0} of {table.Length:N0}.");
            return table[index];
        }
    }
}
