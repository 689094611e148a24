using System.Globalization;
using System.Runtime.InteropServices;
using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>What LeakExt asks of Linux for its own memory: pages mapped in one call, huge pages for the GC heap.</summary>
public sealed class PageAdviceTests
{
    [Fact]
    public void PopulatingMapsEveryWholePageOfTheRangeAndNoOther()
    {
        if (!OperatingSystem.IsLinux())
            return;
        // 32 MiB plus a page from malloc: glibc maps a block this large on its own, untouched; and
        // the range is long enough to be populated a part per core, so the parts' seams are checked too.
        const int Pages = 8192;
        IntPtr block = Marshal.AllocHGlobal((Pages + 1) * 4096);
        try
        {
            IntPtr first = (IntPtr)(((long)block + 4095) & ~4095L);
            Assert.Equal(0, ResidentPages(first, Pages));

            // From the middle of a page to the middle of the last one: the two partial pages stay unmapped.
            PageAdvice.PopulateForWriting(first + 100, (Pages - 1) * 4096L);
            Assert.Equal(0, ResidentPages(first, 1));
            Assert.Equal(0, ResidentPages(first + (Pages - 1) * 4096, 1));
            Assert.Equal(Pages - 2, ResidentPages(first + 4096, Pages - 2));
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>How many of <paramref name="pages"/> pages from <paramref name="start"/> (page-aligned) are resident.</summary>
    private static int ResidentPages(IntPtr start, int pages)
    {
        byte[] vector = new byte[pages];
        Assert.Equal(0, MinCore(start, (nuint)pages * 4096, vector));
        return vector.Count(v => (v & 1) != 0);
    }

    [DllImport("libc", EntryPoint = "mincore")]
    private static extern int MinCore(IntPtr start, nuint length, byte[] vector);

    [Fact]
    public void MemoryTheGcCommitsAfterTheAdviceCarriesIt()
    {
        bool advised = PageAdvice.AdviseHugePagesForGcHeap();
        if (PageAdvice.Mode != "madvise")
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
