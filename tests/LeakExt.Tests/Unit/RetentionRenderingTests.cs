using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core.Heap;
using LeakExt.Core.Retention;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

public sealed class RetentionRenderingTests
{
    private static BackrefsResult Sample()
    {
        ObjectRef Obj(ulong address, string type, long size) => new(address, type, size);
        var nodes = new List<BackrefNode>
        {
            new(0, Obj(0x1000, "Shop.Order", 48), BackrefNodeKind.Object, [], 0, true),
            new(1, Obj(0x2000, "System.Collections.Generic.List<Shop.Order>", 32), BackrefNodeKind.Object, [], 1, true) { Length = 3 },
            new(2, Obj(0x3000, "Shop.Customer", 40), BackrefNodeKind.Object, [], 2, true),
            new(3, Obj(0x4000, "System.Collections.Generic.Dictionary<System.Int32, Shop.Customer>", 80), BackrefNodeKind.Object, ["static Shop.Store.s_customers"], 3, true) { Length = 120 },
            new(4, Obj(0x5000, "Shop.Invoice \"draft\"", 24), BackrefNodeKind.Object, ["thread 0x1f (managed 1) Shop.Program.Main"], 1, true),
        };
        var edges = new List<BackrefEdge>
        {
            new(1, 0, "List<Order> items", false),
            new(4, 0, "Order", false),
            new(2, 1, "Orders", false),
            new(3, 2, "Dictionary<Int32, Customer> values", false),
            new(0, 2, "LastOrder", false),
        };
        return new BackrefsResult("backrefs", nodes[0].Object!, "static Shop.Store.s_customers › Dictionary<Int32, Customer> values › Customer.Orders › List<Order> items",
            "Order", ["Shop.Order"], 120, 118, nodes, edges, [new BackrefCut(3, 7, CutReason.DepthLimit)], null, null);
    }

    [Fact]
    public void A_long_root_path_shows_its_ends_and_counts_the_objects_between()
    {
        PathHop Hop(ulong address, string? field) => new(new ObjectRef(address, "Chain.Link", 32), field);
        var path = new RootPath("static Chain.s_head", [Hop(0x1000, null), Hop(0x1020, "Next"), Hop(0x9000, "Next"), Hop(0x9020, "Next")])
        {
            Omitted = new PathGap(2, 9_999_996),
        };
        var result = new RootPathResult("rootpath", new ObjectRef(0x9020, "Chain.Link", 32), true, "static Chain.s_head", [path]);
        var output = new StringCommandOutput();
        RetentionRenderer.RootPaths(result, new TextOutput(output));
        string[] lines = output.Text.Split('\n');
        Assert.Equal(10_000_000, path.Length);
        Assert.Contains("Path 1 of 1: from static Chain.s_head, 10,000,000 objects", lines);
        int gap = Array.IndexOf(lines, "  … 9,999,996 more objects …");
        Assert.StartsWith("  .Next → Chain.Link 0x1020", lines[gap - 1]);
        Assert.StartsWith("  .Next → Chain.Link 0x9000", lines[gap + 1]);
    }

    [Fact]
    public void Backrefs_text_tree()
    {
        var output = new StringCommandOutput();
        RetentionRenderer.Backrefs(Sample(), new TextOutput(output));
        Golden.Check("backrefs.txt", output.Text);
    }

    [Fact]
    public void Backrefs_dot()
    {
        Golden.Check("backrefs.dot", DotRenderer.Render(Sample()).Text);
    }

    [Fact]
    public void Dot_draws_one_root_node_per_root_and_says_what_it_wrote()
    {
        // Two objects held by the same static (a static's value and the runtime's own reference to it) and a string.
        var nodes = new List<BackrefNode>
        {
            new(0, new ObjectRef(0x1000, "System.String", 30), BackrefNodeKind.Object, [], 0, true) { Value = "https://example.org/a" },
            new(1, new ObjectRef(0x2000, "System.Collections.Generic.List<System.String>", 32), BackrefNodeKind.Object, ["static App.Cache.s_urls"], 1, true) { Length = 2 },
            new(2, new ObjectRef(0x3000, "App.Page", 24), BackrefNodeKind.Object, ["static App.Cache.s_urls"], 1, true),
        };
        var result = new BackrefsResult("backrefs", nodes[0].Object!, "static App.Cache.s_urls › List<String> items", null, null, 0, 0, nodes,
            [new(1, 0, "List<String> items", false), new(2, 0, "Url", false)], [], "/tmp/urls.dot", null) { FileNodeCount = 4 };
        DotGraph dot = DotRenderer.Render(result);
        Assert.Equal(4, dot.NodeCount);
        string[] lines = dot.Text.Split('\n');
        Assert.Single(lines, l => l.Contains("label=\"static App.Cache.s_urls\"", StringComparison.Ordinal));
        Assert.Contains("  r0 -> n1 [style=bold];", lines);
        Assert.Contains("  r0 -> n2 [style=bold];", lines);
        Assert.Contains("""  n0 [label="String\n\"https://example.org/a\"\n30 B", tooltip="System.String 0x1000", fillcolor="#f4b6b6"];""", lines);
        Assert.Contains("""  n1 [label="List<String>\n2 items\n32 B", tooltip="System.Collections.Generic.List<System.String> 0x2000", fillcolor="#fcfcfc"];""", lines);

        var output = new StringCommandOutput();
        RetentionRenderer.Backrefs(result, new TextOutput(output));
        Assert.EndsWith("wrote /tmp/urls.dot (4 nodes)\n", output.Text);
    }

    [Fact]
    public void Dot_labels_are_escaped()
    {
        Assert.Equal("a\\\"b\\\\c\\nd", DotRenderer.Escape("a\"b\\c\nd"));
    }

    [Fact]
    public void Names_read_like_source()
    {
        Assert.Equal("Url", FieldNames.Pretty("<Url>k__BackingField"));
        Assert.Equal("_items", FieldNames.Pretty("_items"));
        Assert.Equal("Dictionary<Int32, List<Hyperlink>>.Entry[]", FieldNames.Short("System.Collections.Generic.Dictionary<System.Int32, System.Collections.Generic.List<Crawler.Hyperlink>>+Entry[]"));
    }

    [Fact]
    public void Holder_texts_are_capped()
    {
        var table = new HolderTable();
        int text = table.RootText("static A.b");
        for (int i = 0; i < 20; i++)
            text = table.Extend(text, $"Node{i}.next");
        string capped = table.Text(text);
        Assert.EndsWith(" › …", capped);
        Assert.Equal(HolderTable.MaxSteps + 1, capped.Split(HolderTable.Separator).Length - 1);
    }
}
