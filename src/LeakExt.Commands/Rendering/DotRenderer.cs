using System.Diagnostics;
using System.Text;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Rendering;

/// <summary>A DOT graph and how many nodes it draws (objects, handles, roots and "more" notes).</summary>
public sealed record DotGraph(string Text, int NodeCount);

/// <summary>
/// Graphviz DOT for a back-reference graph, drawn as objgraph draws one: referrers point at what
/// they reference; nodes name the short type (the full name and address are the tooltip), with a
/// collection's size or a string's start and the object's size below; the target is red, each
/// root is one blue box however many objects it holds; fill fades with depth, weak edges are
/// dashed, cut branches become "N more referrers" notes; the caption says how many instances share
/// the holder drawn.
/// </summary>
public static class DotRenderer
{
    public static DotGraph Render(BackrefsResult r)
    {
        var dot = new StringBuilder();
        int count = 0;
        dot.Append("digraph backrefs {\n");
        dot.Append("  rankdir=BT;\n");
        dot.Append($"  labelloc=t; fontname=\"Helvetica\"; fontsize=11; label=\"{Label(Caption(r))}\";\n");
        dot.Append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n");
        dot.Append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        int maxDepth = Math.Max(1, r.Nodes.Max(n => n.Depth));
        var rootIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var rootEdges = new List<(int Root, int Node)>();
        foreach (BackrefNode node in r.Nodes)
        {
            string fill = node.Id == 0 ? "#f4b6b6" : Fade(node.Depth, maxDepth);
            count++;
            if (node.Object is null)
            {
                dot.Append($"  n{node.Id} [label=\"{Label([.. node.Roots])}\", fillcolor=\"{fill}\", shape=ellipse];\n");
                continue;
            }
            var lines = new List<string> { FieldNames.Short(node.Object.Type) };
            if (RetentionRenderer.Detail(node) is { } detail)
                lines.Add(detail);
            lines.Add($"{node.Object.Size:N0} B{(node.Live ? "" : " (dead)")}");
            string tooltip = $"{node.Object.Type} {Address.Format(node.Object.Address)}";
            dot.Append($"  n{node.Id} [label=\"{Label([.. lines])}\", tooltip=\"{Label(tooltip)}\", fillcolor=\"{fill}\"];\n");
            foreach (string root in node.Roots)
            {
                if (!rootIds.TryGetValue(root, out int id))
                    rootIds[root] = id = rootIds.Count;
                rootEdges.Add((id, node.Id));
            }
        }
        foreach ((string root, int id) in rootIds)
            dot.Append($"  r{id} [label=\"{Label(root)}\", shape=box, style=filled, fillcolor=\"#b6d4f4\"];\n");
        count += rootIds.Count;
        foreach ((int root, int node) in rootEdges)
            dot.Append($"  r{root} -> n{node} [style=bold];\n");
        foreach (BackrefEdge edge in r.Edges)
            dot.Append($"  n{edge.From} -> n{edge.To} [label=\"{Label(edge.Label)}\"{(edge.Weak ? ", style=dashed" : "")}];\n");
        foreach (BackrefCut cut in r.Cuts)
        {
            count++;
            dot.Append($"  more{cut.Node} [label=\"{cut.Hidden:N0} more referrer{(cut.Hidden == 1 ? "" : "s")}\\n({cut.Reason.Name()})\", shape=plaintext, style=\"\"];\n");
            dot.Append($"  more{cut.Node} -> n{cut.Node} [style=dotted];\n");
        }
        dot.Append("}\n");
        return new DotGraph(dot.ToString(), count);
    }

    /// <summary>With -type: how many instances share the holder drawn; for an address: the object; then its holder.</summary>
    private static string[] Caption(BackrefsResult r)
    {
        string type = FieldNames.Short(r.Target.Type);
        string head = r.InstanceCount > 0
            ? $"{r.SharingHolderCount:N0} of {r.InstanceCount:N0} {type} instance{(r.InstanceCount == 1 ? "" : "s")} share this holder"
            : $"{type} {Address.Format(r.Target.Address)}";
        return [head, r.Holder is null ? "not reachable from any root (garbage)" : r.Holder];
    }

    /// <summary>Greys from light (near the target) to lighter (far): depth reads at a glance.</summary>
    private static string Fade(int depth, int maxDepth)
    {
        int level = 0xD8 + (int)(0x24 * (double)depth / maxDepth);
        return $"#{level:x2}{level:x2}{level:x2}";
    }

    /// <summary>
    /// A DOT label of one or more lines. Names from the target are escaped as in the terminal first
    /// (<see cref="TerminalText"/>: a control character or a bidi mark shows as \e or \u202E in the
    /// SVG too), then for DOT; only the line breaks between our lines are real.
    /// </summary>
    private static string Label(params string[] lines) => string.Join("\\n", lines.Select(line => Escape(TerminalText.Escape(line))));

    public static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>Runs Graphviz's dot to turn DOT into SVG. LEAKEXT_DOT names the executable, else it is looked up on PATH.</summary>
public static class Graphviz
{
    public static string? FindDot()
    {
        string? configured = Environment.GetEnvironmentVariable("LEAKEXT_DOT");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured : null;
        string name = OperatingSystem.IsWindows() ? "dot.exe" : "dot";
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>
    /// Renders <paramref name="dot"/> to <paramref name="svgFile"/>: Graphviz writes to our pipe and the
    /// SVG goes through <see cref="OutputFile"/> (dot itself never opens the target); Ctrl-C stops it.
    /// </summary>
    public static string RenderSvg(string dot, string svgFile, OutputOptions options, CancellationToken cancellationToken)
    {
        string executable = FindDot()
            ?? throw new LeakExtException("-svg needs Graphviz's 'dot', which is not installed; install graphviz (e.g. apt-get install graphviz) or write DOT with -dot FILE.");
        OutputFile.CheckTarget(svgFile, options);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add("-Tsvg");
        using Process process = Process.Start(start) ?? throw new LeakExtException($"could not start '{executable}'.");
        try
        {
            Task<string> errors = process.StandardError.ReadToEndAsync(cancellationToken);
            Task input = Task.Run(() =>
            {
                process.StandardInput.Write(dot);
                process.StandardInput.Close();
            }, cancellationToken);
            return OutputFile.Write(svgFile, options, stream =>
            {
                process.StandardOutput.BaseStream.CopyToAsync(stream, cancellationToken).GetAwaiter().GetResult();
                process.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
                input.GetAwaiter().GetResult();
                if (process.ExitCode != 0)
                    throw new LeakExtException($"Graphviz 'dot' failed (exit code {process.ExitCode}): {errors.GetAwaiter().GetResult().ReplaceLineEndings(" ").Trim()}");
            }, cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }
}
