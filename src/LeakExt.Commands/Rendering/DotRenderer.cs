using System.Diagnostics;
using System.Text;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Rendering;

/// <summary>
/// Graphviz DOT for a back-reference graph: referrers point at what they reference, the target is
/// red, roots are blue boxes, fill fades with depth, weak edges are dashed, cut branches become
/// "N more referrers" notes.
/// </summary>
public static class DotRenderer
{
    public static string Render(BackrefsResult r)
    {
        var dot = new StringBuilder();
        dot.Append("digraph backrefs {\n");
        dot.Append("  rankdir=BT;\n");
        dot.Append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n");
        dot.Append("  edge [fontname=\"Helvetica\", fontsize=9];\n");
        int maxDepth = Math.Max(1, r.Nodes.Max(n => n.Depth));
        foreach (BackrefNode node in r.Nodes)
        {
            string label = node.Object is null
                ? Label([.. node.Roots])
                : Label(node.Object.Type, Address.Format(node.Object.Address), $"{node.Object.Size:N0} B{(node.Live ? "" : " (dead)")}");
            string fill = node.Id == 0 ? "#f4b6b6" : Fade(node.Depth, maxDepth);
            dot.Append($"  n{node.Id} [label=\"{label}\", fillcolor=\"{fill}\"{(node.Object is null ? ", shape=ellipse" : "")}];\n");
            if (node.Object is not null)
            {
                for (int i = 0; i < node.Roots.Count; i++)
                {
                    dot.Append($"  r{node.Id}_{i} [label=\"{Label(node.Roots[i])}\", shape=box, style=filled, fillcolor=\"#b6d4f4\"];\n");
                    dot.Append($"  r{node.Id}_{i} -> n{node.Id} [style=bold];\n");
                }
            }
        }
        foreach (BackrefEdge edge in r.Edges)
            dot.Append($"  n{edge.From} -> n{edge.To} [label=\"{Label(edge.Label)}\"{(edge.Weak ? ", style=dashed" : "")}];\n");
        foreach (BackrefCut cut in r.Cuts)
        {
            dot.Append($"  more{cut.Node} [label=\"{cut.Hidden:N0} more referrer{(cut.Hidden == 1 ? "" : "s")}\\n({cut.Reason})\", shape=plaintext, style=\"\"];\n");
            dot.Append($"  more{cut.Node} -> n{cut.Node} [style=dotted];\n");
        }
        dot.Append("}\n");
        return dot.ToString();
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
