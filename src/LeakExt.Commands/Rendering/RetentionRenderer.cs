using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Rendering;

public static class RetentionRenderer
{
    /// <summary>Type and address; the address is a link (where the host has links) to the natural next question about it.</summary>
    private static void WriteObject(TextOutput output, ObjectRef obj, string nextCommand)
    {
        output.Write(obj.Type + " ");
        output.WriteLink(Address.Format(obj.Address), $"!{nextCommand} {Address.Format(obj.Address)}");
    }

    public static void RootPaths(RootPathResult r, TextOutput output)
    {
        WriteObject(output, r.Target, "backrefs");
        output.WriteLine($" ({Format.Number(r.Target.Size)} B)");
        if (!r.Live)
        {
            output.WriteLine("It is not reachable from any root: it is garbage, waiting for the next GC (no root path).");
            return;
        }
        output.WriteLine($"Holder: {r.Holder}");
        for (int p = 0; p < r.Paths.Count; p++)
        {
            RootPath path = r.Paths[p];
            output.WriteLine();
            output.WriteLine($"Path {p + 1} of {r.Paths.Count}: from {path.Root}, {Format.Number(path.Length)} object{(path.Length == 1 ? "" : "s")}");
            for (int h = 0; h < path.Hops.Count; h++)
            {
                PathHop hop = path.Hops[h];
                if (path.Omitted is { } gap && h == gap.After)
                    output.WriteLine($"  … {Format.Number(gap.Hops)} more object{(gap.Hops == 1 ? "" : "s")} …");
                output.Write(hop.Field is null ? "  " : $"  .{hop.Field} → ");
                WriteObject(output, hop.Object, "backrefs");
                output.WriteLine($"  ({Format.Number(hop.Object.Size)} B)");
            }
        }
    }

    public static void Backrefs(BackrefsResult r, TextOutput output)
    {
        MatchedTypesLine.Write(output, r.TypeFilter, r.MatchedTypes);
        if (r.InstanceCount > 0 && r.Holder is not null)
            output.WriteLine($"{Format.Number(r.InstanceCount)} live instances; {Format.Number(r.SharingHolderCount)} share the holder of this representative:");
        else if (r.InstanceCount > 0)
            output.WriteLine($"{Format.Number(r.InstanceCount)} instance{(r.InstanceCount == 1 ? "" : "s")}, none live; this is one of them:");
        if (r.Holder is not null)
            output.WriteLine($"Holder: {r.Holder}");
        else
            output.WriteLine("Not reachable from any root (garbage): its referrers are dead too.");

        var referrers = r.Edges.GroupBy(e => e.To).ToDictionary(g => g.Key, g => g.ToList());
        var cuts = r.Cuts.GroupBy(c => c.Node).ToDictionary(g => g.Key, g => g.First());
        var shown = new HashSet<int> { 0 };
        WriteNode(output, r.Nodes[0]);
        output.WriteLine();

        // Depth-first with an explicit stack (a chain of a million referrers must not overflow ours).
        // Each frame: the lines under one object (its roots, its referrers, a cut note) and their indentation.
        List<object> LinesUnder(int node)
        {
            var lines = new List<object>();
            if (r.Nodes[node].Kind == BackrefNodeKind.Object)
                lines.AddRange(r.Nodes[node].Roots);
            if (referrers.TryGetValue(node, out List<BackrefEdge>? edges))
                lines.AddRange(edges);
            if (cuts.TryGetValue(node, out BackrefCut? cut))
                lines.Add(cut);
            return lines;
        }

        var stack = new Stack<TreeFrame>();
        stack.Push(new TreeFrame(LinesUnder(0), "", 1));
        while (stack.Count > 0)
        {
            TreeFrame frame = stack.Peek();
            if (frame.Next == frame.Lines.Count)
            {
                stack.Pop();
                continue;
            }
            object line = frame.Lines[frame.Next++];
            bool last = frame.Next == frame.Lines.Count;
            string prefix = frame.Indent + (frame.Depth > MaxIndentDepth ? $"[depth {frame.Depth}] " : "") + (last ? "└─ " : "├─ ");
            switch (line)
            {
                case string root:
                    output.WriteLine($"{prefix}◆ root: {root}");
                    break;
                case BackrefCut cut:
                    output.WriteLine($"{prefix}… {Format.Number(cut.Hidden)} more referrer{(cut.Hidden == 1 ? "" : "s")} ({cut.Reason.Name()})");
                    break;
                case BackrefEdge edge:
                    BackrefNode from = r.Nodes[edge.From];
                    output.Write($"{prefix}{(edge.Weak ? "(weak) " : "")}{edge.Label} ← ");
                    WriteNode(output, from);
                    if (!shown.Add(from.Id))
                    {
                        output.WriteLine("  (shown above: cycle or shared referrer)");
                        break;
                    }
                    output.WriteLine();
                    string indent = frame.Depth >= MaxIndentDepth ? frame.Indent : frame.Indent + (last ? "   " : "│  ");
                    stack.Push(new TreeFrame(LinesUnder(from.Id), indent, frame.Depth + 1));
                    break;
            }
        }
        foreach (string? file in new[] { r.DotFile, r.SvgFile })
            if (file is not null)
                output.WriteLine($"wrote {file} ({Format.Number(r.FileNodeCount)} nodes)");
    }

    /// <summary>What a node shows beside its type: "15,000 items" for a collection, the start of a string in quotes.</summary>
    public static string? Detail(BackrefNode node) =>
        node.Value is { } value ? $"\"{value}\"" : node.Length is { } length ? $"{Format.Number(length)} item{(length == 1 ? "" : "s")}" : null;

    /// <summary>Deeper than this, lines stop moving right and say their depth instead: a deep chain stays readable and small.</summary>
    public const int MaxIndentDepth = 32;

    private sealed class TreeFrame(List<object> lines, string indent, int depth)
    {
        public List<object> Lines { get; } = lines;
        public string Indent { get; } = indent;
        public int Depth { get; } = depth;
        public int Next { get; set; }
    }

    private static void WriteNode(TextOutput output, BackrefNode node)
    {
        if (node.Object is null)
        {
            output.Write(node.Roots.Count > 0 ? node.Roots[0] : node.Kind.Name());
            return;
        }
        WriteObject(output, node.Object, "rootpath");
        output.Write($" ({Format.Number(node.Object.Size)} B{(node.Live ? "" : ", dead")}{(Detail(node) is { } detail ? ", " + detail : "")})");
    }

    public static void Retained(RetainedCommandResult r, TextOutput output)
    {
        double percent = r.LiveBytes == 0 ? 0 : 100.0 * r.RetainedBytes / r.LiveBytes;
        MatchedTypesLine.Write(output, r.TypeFilter, r.MatchedTypes);
        output.WriteLine(r.Target is { } target ? $"Retained by {target.Type} {Address.Format(target.Address)}:"
                                                : $"Retained by all {Format.Number(r.ObjectCount)} live instances of {string.Join(", ", r.MatchedTypes ?? [])}:");
        output.WriteLine($"  {Format.Number(r.RetainedBytes)} bytes ({Format.Size(r.RetainedBytes)}, {percent:0.##}% of the live heap) in {Format.Number(r.RetainedCount)} objects");
        output.WriteLine($"  shallow size: {Format.Number(r.ShallowBytes)} bytes in {Format.Number(r.ObjectCount)} object{(r.ObjectCount == 1 ? "" : "s")}");
        output.WriteLine("Releasing it would free the retained bytes at the next full GC.");
    }

    public static void Dominators(DominatorsCommandResult r, TextOutput output)
    {
        output.WriteLine($"Top {r.Rows.Count} retainers of {Format.Number(r.LiveBytes)} live bytes ({Format.Size(r.LiveBytes)}):");
        var table = new TextTable(("Retained", true), ("%", true), ("Address", false), ("Type", false), ("Holder", false));
        foreach (DominatorRow row in r.Rows)
            table.Add(Format.Number(row.RetainedBytes), row.RetainedPercent.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                Address.Format(row.Object.Address), FieldNames.Short(row.Object.Type), row.Holder);
        table.WriteTo(output);
    }
}
