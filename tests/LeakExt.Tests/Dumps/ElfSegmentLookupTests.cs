using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// <see cref="ElfCoreFile.FindSegment"/> checks the segment it found last before searching: on a
/// real dump, every segment's first and last byte and the bytes just outside it are looked up in an
/// order that moves between segments, gaps and repeats (so the remembered segment is right, wrong,
/// and in a gap), and each answer equals a scan of all segments.
/// </summary>
[Collection("dumps")]
public sealed class ElfSegmentLookupTests(DumpFixture fixture)
{
    [Fact]
    public void Every_lookup_equals_a_scan_of_all_segments_whatever_was_found_before()
    {
        ElfCoreFile core = ElfCoreFile.Read(fixture.Dumps("Crawler")[0]);
        IReadOnlyList<ElfCoreFile.LoadSegment> segments = core.Segments;
        Assert.True(segments.Count > 10, $"{segments.Count} segments");

        var probes = new List<ulong>();
        foreach (ElfCoreFile.LoadSegment s in segments)
        {
            ulong last = s.VirtualAddress + s.MemorySize - 1;
            probes.AddRange([s.VirtualAddress, last, last, s.VirtualAddress - 1, last + 1, s.VirtualAddress + s.MemorySize / 2]);
        }
        // The same probes in a scattered order: each lookup starts from an unrelated remembered segment.
        var scattered = probes.Select((address, i) => (address, key: (i * 7919L) % probes.Count)).OrderBy(p => p.key).Select(p => p.address);

        int inGaps = 0;
        foreach (ulong address in probes.Concat(scattered))
        {
            int expected = -1;
            for (int i = 0; i < segments.Count; i++)
                if (address >= segments[i].VirtualAddress && address - segments[i].VirtualAddress < segments[i].MemorySize)
                    expected = i;
            int found = core.FindSegment(address);
            Assert.True(expected == found, $"0x{address:x}: expected segment {expected}, found {found}");
            inGaps += expected < 0 ? 1 : 0;
        }
        // The dump has gaps between its segments, so misses after a hit are checked too.
        Assert.True(inGaps > 0, "no probe fell outside every segment");
    }
}
