using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LeakExt.Core.Heap;

/// <summary>
/// Asks Linux to back our own GC heap with 2 MiB pages where the system leaves that to each process
/// (transparent huge pages in "madvise" mode, Debian's default). The reference graph and the
/// dominator tree read and write arrays of one int per object (40 MB each for 10 M objects) in
/// graph order, not address order: with 4 KiB pages nearly every step misses the TLB. Measured on
/// the 10 M-object benchmark dump, a whole `dominators` went from 4.3 to 3.2 s. The snapshot's
/// marking gained nothing measurable (its random reads are into the dump's file pages, which stay
/// 4 KiB), so only the graph work asks: huge pages cost memory where a page is partly used.
/// The advice is set on the GC's reserved address range, so memory the GC commits later inherits
/// it; the GC unmaps what it decommits, which drops the advice, so each graph build asks again
/// (one read of /proc/self/maps). LEAKEXT_HUGE_PAGES=0 turns it off.
/// </summary>
internal static unsafe class HugePages
{
    private const int MadvHugePage = 14;

    /// <summary>The kernel's transparent huge page mode ("always", "madvise", "never"), or "" where there is none.</summary>
    public static string Mode { get; } = OperatingSystem.IsLinux() ? ReadMode() : "";

    /// <summary>Whether the kernel gives huge pages only to advised memory (else advice changes nothing).</summary>
    private static readonly bool s_advisable = Mode == "madvise";

    /// <summary>Advises the GC's reserved range (around a freshly allocated pinned probe); false when not applied.</summary>
    public static bool AdviseGcHeap()
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
            // "start-end perms offset dev inode [path]": anonymous when the path is absent.
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash <= 0 || space <= dash)
                continue;
            ulong start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            bool anonymous = IsAnonymous(line);
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

    /// <summary>Whether a maps line has no path: five fields and nothing after the inode.</summary>
    private static bool IsAnonymous(string line)
    {
        int fields = 0;
        bool inField = false;
        foreach (char c in line)
        {
            if (c == ' ')
            {
                inField = false;
                continue;
            }
            if (!inField)
            {
                inField = true;
                if (++fields > 5)
                    return false;
            }
        }
        return fields == 5;
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
