using LeakExt.Core.Heap;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// An array of many references read a part at a time (how marking and the reference graph follow it,
/// with a buffer of 64 K references), or a byte range at a time (how parallel marking cuts it), gives
/// exactly what one whole read gives: on BigHeap at scale 0.5, whose static s_strings is a
/// string[250,000] of distinct strings and whose customer dictionary keeps 100,000 entries (structs
/// of 24 B, so ranges of 512 KiB cut through entries).
/// </summary>
[Collection("dumps")]
public sealed class ResumableReadTests(DumpFixture fixture)
{
    [Fact]
    public void A_big_array_read_in_parts_gives_every_reference_once_and_in_order()
    {
        using var array = new LargestArray(fixture, "System.String[]");
        (ulong address, int segment, FastReferenceReader reader) = (array.Address, array.Segment, array.Reader);

        var whole = new ReferenceBuffer();
        int count = reader.Read(address, segment, whole);
        var inParts = new List<(ulong Target, int Offset)>();
        var part = new ReferenceBuffer();
        long resume = 0;
        int parts = 0;
        do
        {
            int read = reader.ReadPart(address, segment, part, ref resume);
            Assert.True(read <= ReferenceBuffer.PartSize, $"a part of {read:N0} references");
            for (int i = 0; i < read; i++)
                inParts.Add((part.Targets[i], part.Offsets[i]));
            parts++;
        } while (resume >= 0);

        Assert.Equal(250_000, count);
        Assert.Equal((250_000 + ReferenceBuffer.PartSize - 1) / ReferenceBuffer.PartSize, parts);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (whole.Targets[i], whole.Offsets[i])), inParts);
        Assert.Equal(count, inParts.Select(r => r.Target).Distinct().Count());
    }

    [Theory]
    [InlineData("System.String[]", 250_000)]
    [InlineData("System.Collections.Generic.Dictionary<System.Int32, BigHeap.Customer>+Entry[]", 100_000)]
    public void A_big_array_read_in_byte_ranges_gives_every_reference_once_and_in_order(string typeName, int expected)
    {
        using var array = new LargestArray(fixture, typeName);
        (ulong address, int segment, FastReferenceReader reader) = (array.Address, array.Segment, array.Reader);

        var whole = new ReferenceBuffer();
        int count = reader.Read(address, segment, whole);
        const long rangeBytes = ReferenceBuffer.PartSize * 8L;
        var inRanges = new List<(ulong Target, int Offset)>();
        var range = new ReferenceBuffer();
        for (long from = 0; from < array.Size; from += rangeBytes)
        {
            int read = reader.ReadRange(address, segment, range, from, from + rangeBytes);
            for (int i = 0; i < read; i++)
                inRanges.Add((range.Targets[i], range.Offsets[i]));
        }

        Assert.True(array.Size > 3 * rangeBytes, $"the array is only {array.Size:N0} bytes");
        Assert.Equal(expected, count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (whole.Targets[i], whole.Offsets[i])), inRanges);
    }

    /// <summary>The largest object of the type named in BigHeap's scale-0.5 dump, with a fast reader over the dump.</summary>
    private sealed class LargestArray : IDisposable
    {
        private readonly TargetSession _session;
        private readonly SegmentMemory _memory;

        public LargestArray(DumpFixture fixture, string typeName)
        {
            _session = new TargetSession(LeakTarget.OpenDump(fixture.Dumps("BigHeap", false, "0.5").Single()));
            HeapIndex index = _session.GetLiveHeap(HeapReaderKind.Fast, null, CancellationToken.None).Index;
            int largest = Enumerable.Range(0, index.ObjectCount).Where(i => index.Types[index.TypeIds[i]].Name == typeName).MaxBy(i => index.SizeOf(i));
            Address = index.AddressOf(largest);
            Segment = index.FindSegment(Address);
            Size = (long)index.SizeOf(largest);
            _memory = SegmentMemory.Create(_session.Target, index.Segments);
            Reader = new FastReferenceReader(index, _memory);
        }

        public ulong Address { get; }
        public int Segment { get; }
        public long Size { get; }
        public FastReferenceReader Reader { get; }

        public void Dispose()
        {
            _memory.Dispose();
            _session.Dispose();
        }
    }
}
