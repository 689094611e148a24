using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// What LeakExt asks of Linux for its own memory (madvise), so that big arrays cost less to map.
/// <list type="bullet">
/// <item><b>Populate</b> a fresh array in one call (MADV_POPULATE_WRITE) instead of one page fault
/// per 4 KiB as it is first written. A snapshot of 10 M objects writes about 200 MB of new arrays;
/// on the benchmark's VM every first touch of a page costs about 12 µs (the guest's fault and the
/// host's), half of it the guest's fault, which one call for the whole range avoids (80 MB: 246 → 135 ms).
/// Populated are the arrays whose pages are nearly all written, and the marking's per-object
/// parents and mark bits (whose documented size is then what is resident); not those filled only
/// up to a count found later (the dominator tree's arrays by DFS number), where it would map pages never used.</item>
/// <item><b>Huge pages</b> for our own GC heap where the system leaves them to each process
/// (transparent huge pages in "madvise" mode, Debian's default). The reference graph and the
/// dominator tree walk arrays of one int per object (40 MB each for 10 M objects) in graph order,
/// not address order: with 4 KiB pages nearly every step misses the TLB (whole `dominators` on the
/// 10 M-object dump: 4.3 → 3.2 s). The snapshot gained nothing measurable (12 paired whole
/// snapshots: 1.89 against 1.90 s; its random reads go mostly to the dump's file pages, which stay
/// 4 KiB), so only the graph work asks: a huge page costs memory where it is partly used. The
/// advice is set on the GC's reserved address range, so memory the GC commits later inherits it;
/// the GC unmaps what it decommits, which drops the advice, so each graph build asks again (one
/// read of /proc/self/maps). LEAKEXT_HUGE_PAGES=0 turns it off.</item>
/// </list>
/// Elsewhere (Windows, macOS, kernels before 5.14) each call does nothing.
/// </summary>
internal static unsafe class PageAdvice
{
    private const int MadvHugePage = 14, MadvPopulateRead = 22, MadvPopulateWrite = 23;
    private const long PageMask = 4095;

    /// <summary>Arrays smaller than this are not worth a system call (and may still be moved by the GC).</summary>
    private const long PopulateFrom = 128 << 10;

    /// <summary>
    /// Maps the pages of a new array, whole. The array must be on the large object heap (which the
    /// GC does not move), and its pages about to be written, nearly all of them.
    /// </summary>
    public static T[] Populated<T>(T[] array) where T : unmanaged => PopulatedPrefix(array, array.Length);

    /// <summary>
    /// Maps the pages of the first <paramref name="length"/> elements of a new array, for an array
    /// written from its start up to a count known only roughly beforehand (the rest may stay unmapped).
    /// </summary>
    public static T[] PopulatedPrefix<T>(T[] array, long length) where T : unmanaged
    {
        long bytes = Math.Min(length, array.Length) * sizeof(T);
        if (bytes >= PopulateFrom)
            PopulateForWriting((IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)), bytes);
        return array;
    }

    /// <summary>Ranges at least this long are populated a part per core: the kernel clears the pages, and that scales.</summary>
    private const long PopulateInPartsFrom = 16 << 20;

    /// <summary>
    /// Maps the whole pages inside [start, start + length) for writing (a page partly outside may
    /// belong to something else: it is left to fault); a long range in a part per core at once.
    /// </summary>
    public static void PopulateForWriting(IntPtr start, long length)
    {
        long first = ((long)start + PageMask) & ~PageMask, end = ((long)start + length) & ~PageMask;
        if (!OperatingSystem.IsLinux() || end <= first)
            return;
        int parts = end - first >= PopulateInPartsFrom ? Parallelism.Workers : 1;
        if (parts <= 1)
        {
            _ = Madvise((IntPtr)first, (nuint)(end - first), MadvPopulateWrite);
            return;
        }
        long pages = (end - first) >> 12;
        Parallelism.For(parts, CancellationToken.None, part =>
        {
            long from = first + (pages * part / parts << 12), to = first + (pages * (part + 1) / parts << 12);
            _ = Madvise((IntPtr)from, (nuint)(to - from), MadvPopulateWrite);
        });
    }

    /// <summary>Maps the file pages under [start, start + length), every page it touches, of a read-only mapping that holds them all.</summary>
    public static void PopulateForReading(byte* start, long length)
    {
        long first = (long)start & ~PageMask;
        if (OperatingSystem.IsLinux() && length > 0)
            _ = Madvise((IntPtr)first, (nuint)((long)start + length - first), MadvPopulateRead);
    }

    /// <summary>The kernel's transparent huge page mode ("always", "madvise", "never"), or "" where there is none.</summary>
    public static string Mode { get; } = OperatingSystem.IsLinux() ? ReadMode() : "";

    /// <summary>Whether the kernel gives huge pages only to advised memory (else advice changes nothing).</summary>
    private static readonly bool s_advisable = Mode == "madvise";

    /// <summary>Advises huge pages for the GC's reserved range (around a freshly allocated pinned probe); false when not applied.</summary>
    public static bool AdviseHugePagesForGcHeap()
    {
        if (!s_advisable || Environment.GetEnvironmentVariable("LEAKEXT_HUGE_PAGES") == "0")
            return false;
        try
        {
            byte[] probe = GC.AllocateArray<byte>(1, pinned: true);
            ulong address = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(probe));
            (ulong start, ulong end) = AnonymousRunAround(address);
            GC.KeepAlive(probe);
            return end > start && Madvise((IntPtr)(long)start, (nuint)(end - start), MadvHugePage) == 0;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The run of address-adjacent anonymous mappings (no file, no name) around <paramref name="address"/>:
    /// the GC reserves its whole range at once, so its parts are adjacent whatever their protection.
    /// </summary>
    private static (ulong Start, ulong End) AnonymousRunAround(ulong address)
    {
        ulong runStart = 0, runEnd = 0;
        bool found = false;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            // "start-end perms offset dev inode [path]": anonymous when there is no sixth field.
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            string[] range = fields.Length > 0 ? fields[0].Split('-') : [];
            if (range.Length != 2
                || !ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
                || !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
                continue;
            bool anonymous = fields.Length == 5;
            if (anonymous && start == runEnd && runEnd != 0)
                runEnd = end;
            else if (found)
                break;
            else if (anonymous)
                (runStart, runEnd) = (start, end);
            else
                (runStart, runEnd) = (0, 0);
            if (!found && anonymous && address >= start && address < end)
                found = true;
        }
        return found ? (runStart, runEnd) : (0, 0);
    }

    private static string ReadMode()
    {
        try
        {
            // "always [madvise] never": the bracketed word is the mode.
            string text = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            int open = text.IndexOf('['), close = text.IndexOf(']');
            return open >= 0 && close > open ? text[(open + 1)..close] : "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(IntPtr address, nuint length, int advice);
}
