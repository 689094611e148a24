using System.Globalization;
using LeakExt.Core.Targets;

namespace LeakExt.Core.Growth;

/// <summary>
/// The target's memory by region kind, in bytes. From a dump: the mapped regions it holds (its
/// program headers); from a live Linux process: resident memory (/proc/PID/smaps); in a debugger:
/// the committed regions it reports. GcHeap is the GC's memory: regions in use and free regions it
/// keeps for reuse (<see cref="GcMemory"/>). NonGc is everything else, where native leaks show.
/// </summary>
public sealed record ProcessMemory(
    string Source, long GcHeapBytes, long RuntimeNativeBytes, long MappedImageBytes, long StackBytes, long OtherNativeBytes)
{
    public long TotalBytes => GcHeapBytes + RuntimeNativeBytes + MappedImageBytes + StackBytes + OtherNativeBytes;
    public long NonGcBytes => TotalBytes - GcHeapBytes;
}

/// <summary>
/// Splits the mapped regions of a target among kinds by address overlap, in priority order:
/// GC memory (regions in use and free regions), the runtime's native heaps, thread stacks (the
/// region holding each thread's stack pointer), mapped files; whatever remains is other native
/// memory. Cost: O(regions × labelled ranges), both in the hundreds.
/// </summary>
internal static class ProcessMemoryReader
{
    private enum Kind { Gc, RuntimeNative, Stack, Image }

    public static ProcessMemory? Read(LeakTarget target, RuntimeMemoryMap map)
    {
        var labelled = new List<(ulong Start, ulong End, Kind Kind)>();
        foreach ((ulong start, ulong end) in map.GcRanges)
            labelled.Add((start, end, Kind.Gc));
        foreach ((ulong start, ulong end) in map.NativeHeapRanges)
            labelled.Add((start, end, Kind.RuntimeNative));
        (List<ulong> stackPointers, List<(ulong Start, ulong End)> stackBounds) = ThreadStacks.Read(target.Runtime);
        foreach ((ulong start, ulong end) in stackBounds)
            labelled.Add((start, end, Kind.Stack));

        if (target.CoreFile is { } core)
        {
            foreach ((ulong start, ulong end, _) in core.MappedFiles)
                labelled.Add((start, end, Kind.Image));
            // The core's own thread notes: every thread, whichever host's reader opened the dump.
            foreach (ulong sp in core.StackPointers.Count > 0 ? core.StackPointers : stackPointers)
                if (core.FindSegment(sp) is int s && s >= 0)
                    labelled.Add((core.Segments[s].VirtualAddress, core.Segments[s].VirtualAddress + core.Segments[s].MemorySize, Kind.Stack));
            var regions = core.Segments.Select(s => (s.VirtualAddress, s.VirtualAddress + s.MemorySize, (double)s.MemorySize)).ToList();
            return Classify("dump", regions, labelled);
        }
        if (target.HostRegions is { } hostRegions)
        {
            // A debugger's regions: images and mapped files are labelled like a core's file mappings.
            foreach (MemoryRegion region in hostRegions)
                if (region.Kind != MemoryRegionKind.Private)
                    labelled.Add((region.Start, region.End, Kind.Image));
            var regions = hostRegions.Select(r => (r.Start, r.End, (double)r.Length)).ToList();
            LabelStacks(regions, stackPointers, labelled);
            return Classify(target.IsLive ? "process" : "dump", regions, labelled);
        }
        if (target.IsLive && target.ProcessId is int pid && OperatingSystem.IsLinux())
            return ReadSmaps(pid, stackPointers, labelled);
        return null;
    }

    /// <summary>Labels as a stack each region that holds a thread's stack pointer.</summary>
    private static void LabelStacks(List<(ulong Start, ulong End, double Bytes)> regions, List<ulong> stackPointers, List<(ulong, ulong, Kind)> labelled)
    {
        foreach (ulong sp in stackPointers)
            foreach ((ulong start, ulong end, _) in regions)
                if (sp >= start && sp < end)
                {
                    labelled.Add((start, end, Kind.Stack));
                    break;
                }
    }

    /// <summary>Resident bytes per mapping from /proc/PID/smaps; file-backed mappings are labelled by their path.</summary>
    private static ProcessMemory? ReadSmaps(int pid, List<ulong> stackPointers, List<(ulong Start, ulong End, Kind Kind)> labelled)
    {
        string path = $"/proc/{pid}/smaps";
        if (!File.Exists(path))
            return null;
        var regions = new List<(ulong, ulong, double)>();
        ulong start = 0, end = 0;
        foreach (string line in File.ReadLines(path))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && line.Length > dash + 1 && Uri.IsHexDigit(line[0]) && line.IndexOf(' ') > dash)
            {
                string[] parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                start = ulong.Parse(parts[0][..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                end = ulong.Parse(parts[0][(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (parts.Length >= 6 && parts[5].StartsWith('/'))
                    labelled.Add((start, end, Kind.Image));
                else if (parts.Length >= 6 && parts[5].StartsWith("[stack", StringComparison.Ordinal))
                    labelled.Add((start, end, Kind.Stack));
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal) && end > start)
            {
                long kilobytes = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                regions.Add((start, end, kilobytes * 1024.0));
            }
        }
        LabelStacks(regions, stackPointers, labelled);
        return Classify("process", regions, labelled);
    }

    /// <summary>Each region's bytes go to the kinds its address range overlaps (proportionally), the rest to other native.</summary>
    private static ProcessMemory Classify(string source, IEnumerable<(ulong Start, ulong End, double Bytes)> regions, List<(ulong Start, ulong End, Kind Kind)> labelled)
    {
        labelled = labelled.Distinct().ToList();
        labelled.Sort((a, b) => a.Kind != b.Kind ? a.Kind.CompareTo(b.Kind) : a.Start.CompareTo(b.Start));
        var totals = new double[5];
        foreach ((ulong start, ulong end, double bytes) in regions)
        {
            if (end <= start || bytes <= 0)
                continue;
            double length = end - start;
            double left = length;
            var claimed = new List<(ulong, ulong)>();
            foreach ((ulong ls, ulong le, Kind kind) in labelled)
            {
                ulong from = Math.Max(start, ls), to = Math.Min(end, le);
                if (to <= from)
                    continue;
                double overlap = to - from;
                foreach ((ulong cs, ulong ce) in claimed)
                {
                    ulong f = Math.Max(from, cs), t = Math.Min(to, ce);
                    if (t > f)
                        overlap -= t - f;
                }
                if (overlap <= 0)
                    continue;
                claimed.Add((from, to));
                totals[(int)kind] += bytes * overlap / length;
                left -= overlap;
            }
            totals[4] += bytes * Math.Max(0, left) / length;
        }
        return new ProcessMemory(source, (long)totals[0], (long)totals[1], (long)totals[3], (long)totals[2], (long)totals[4]);
    }
}
