using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core.Retention;

namespace LeakExt.Tests.Hostile;

/// <summary>Renderers over a referrer chain 200,000 deep: no recursion (run on a 256 KiB stack), lines that stop growing at depth 32.</summary>
public sealed class DeepRenderingTests
{
    private const int Depth = 200_000;

    /// <summary>Node i+1 refers to node i; node 0 is the target; the last is held by a static.</summary>
    private static BackrefsResult Chain()
    {
        var nodes = new List<BackrefNode>(Depth);
        var edges = new List<BackrefEdge>(Depth);
        for (int i = 0; i < Depth; i++)
        {
            nodes.Add(new BackrefNode(i, new ObjectRef(0x1000 + 24 * (ulong)i, "Chain.Link", 24), BackrefNodeKind.Object, i == Depth - 1 ? ["static Chain.s_head"] : [], i, true));
            if (i > 0)
                edges.Add(new BackrefEdge(i, i - 1, "Next", false));
        }
        return new BackrefsResult("backrefs", nodes[0].Object!, "static Chain.s_head", null, null, 0, 0, nodes, edges, [], null, null);
    }

    private static void OnSmallStack(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    [Fact]
    public void The_backrefs_tree_of_a_deep_chain_renders_without_recursion_and_with_capped_indentation()
    {
        BackrefsResult chain = Chain();
        var host = new StringCommandOutput();
        OnSmallStack(() => RetentionRenderer.Backrefs(chain, new TextOutput(host)));
        string[] lines = host.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // "Holder: …", the target, one line per referrer, and the root of the last.
        Assert.Equal(2 + (Depth - 1) + 1, lines.Length);
        Assert.Equal("Chain.Link 0x1000 (24 B)", lines[1]);
        Assert.Equal("└─ Next ← Chain.Link 0x1018 (24 B)", lines[2]);
        Assert.Equal(new string(' ', 3 * 31) + "└─ Next ← Chain.Link 0x" + (0x1000 + 24 * 32).ToString("x") + " (24 B)", lines[1 + 32]);
        Assert.Equal(new string(' ', 3 * 31) + "[depth 33] └─ Next ← Chain.Link 0x" + (0x1000 + 24 * 33).ToString("x") + " (24 B)", lines[1 + 33]);
        Assert.Equal(new string(' ', 3 * 31) + $"[depth {Depth}] └─ ◆ root: static Chain.s_head", lines[^1]);
        Assert.True(lines.Max(l => l.Length) < 160, "indentation kept growing");
    }

    [Fact]
    public void The_dot_graph_of_a_deep_chain_renders_without_recursion()
    {
        BackrefsResult chain = Chain();
        string dot = "";
        OnSmallStack(() => dot = DotRenderer.Render(chain).Text);
        Assert.Equal(Depth - 1, dot.Split(" [label=\"Next\"]").Length - 1);
    }
}
