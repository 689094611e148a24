using System.Globalization;
using System.Runtime.InteropServices;
using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>Huge pages for our own GC heap (the graph work's arrays), where the kernel waits for advice.</summary>
public sealed class HugePagesTests
{
    [Fact]
    public void MemoryTheGcCommitsAfterTheAdviceCarriesIt()
    {
        bool advised = HugePages.AdviseGcHeap();
        if (HugePages.Mode != "madvise")
        {
            // "always" needs no advice, "never" ignores it, and other systems have no such mode.
            Assert.False(advised);
            return;
        }
        Assert.True(advised);

        // 64 MiB, allocated after the advice: wherever the GC puts it, its mappings are advised
        // (the kernel shows that as "hg" among a mapping's VmFlags).
        long[] array = new long[8 << 20];
        GCHandle pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            ulong address = (ulong)pin.AddrOfPinnedObject();
            List<string> flags = VmFlagsOverlapping(address, (ulong)array.Length * sizeof(long));
            Assert.NotEmpty(flags);
            Assert.All(flags, f => Assert.Contains("hg", f.Split(' ')));
        }
        finally
        {
            pin.Free();
        }
    }

    /// <summary>The VmFlags lines of the /proc/self/smaps entries that overlap [address, address + length).</summary>
    private static List<string> VmFlagsOverlapping(ulong address, ulong length)
    {
        var flags = new List<string>();
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
            {
                inside = start < address + length && end > address;
                continue;
            }
            if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                flags.Add(line["VmFlags:".Length..].Trim());
        }
        return flags;
    }
}
