using System.Globalization;
using LeakExt.Commands.Framework;
using LeakExt.Core.Growth;
using LeakExt.Core.Heap;

namespace LeakExt.Commands.Rendering;

public static class FragmentationRenderer
{
    public static void Render(FragmentationResult r, TextOutput output)
    {
        output.WriteLine($"Free space: {Format.Size(r.FreeBytes)} of {Format.Size(r.HeapBytes)} in GC heap objects ({Percent(r.FreePercent)}); {Format.Number(r.PinnedCount)} pinned objects.");
        output.WriteLine();
        var generations = new TextTable(("Generation", false), ("Free", true), ("Objects and free", true), ("Free %", true));
        foreach (FreeByGeneration g in r.Generations)
            generations.Add(g.Generation, Format.Size(g.FreeBytes), Format.Size(g.ObjectBytes), Percent(g.FreePercent));
        generations.WriteTo(output);

        if (r.Segments.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Segments with the most free space:");
            var segments = new TextTable(("  Start", false), ("End", false), ("Gen", false), ("Free", true), ("Blocks", true), ("Free %", true), ("Pinned", true));
            foreach (FreeBySegment s in r.Segments)
                segments.Add("  " + Address.Format(s.Start), Address.Format(s.End), s.Generation, Format.Size(s.FreeBytes), Format.Number(s.FreeBlocks),
                    Percent(s.FreePercent), Format.Number(s.PinnedObjects));
            segments.WriteTo(output);
        }
        if (r.LargestFree.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Largest free blocks, and the object after each:");
            var blocks = new TextTable(("  Address", false), ("Size", true), ("Gen", false), ("Next object", false));
            foreach (FreeBlock b in r.LargestFree)
                blocks.Add("  " + Address.Format(b.Address), Format.Size(b.Size), b.Generation,
                    $"{(b.NextPinned ? "PINNED " : "")}{FieldNames.Short(b.NextType)} {Address.Format(b.NextAddress)}");
            blocks.WriteTo(output);
        }
        if (r.Pinned.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Pinned objects with the most free space just before them:");
            var pinned = new TextTable(("  Free before", true), ("Pinned by", false), ("Gen", false), ("Address", false), ("Type", false), ("Holder", false));
            foreach (PinnedObject p in r.Pinned)
            {
                pinned.Add("  " + Format.Size(p.FreeBefore), p.PinnedBy, p.Generation, Address.Format(p.Address), FieldNames.Short(p.Type), p.Holder);
            }
            pinned.WriteTo(output);
        }
    }

    private static string Percent(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
