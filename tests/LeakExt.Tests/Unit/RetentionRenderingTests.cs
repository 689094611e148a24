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
            new(0, Obj(0x1000, "Shop.Order", 48), "object", [], 0, true),
            new(1, Obj(0x2000, "System.Collections.Generic.List<Shop.Order>", 32), "object", [], 1, true),
            new(2, Obj(0x3000, "Shop.Customer", 40), "object", [], 2, true),
            new(3, Obj(0x4000, "System.Collections.Generic.Dictionary<System.Int32, Shop.Customer>", 80), "object", ["static Shop.Store.s_customers"], 3, true),
            new(4, Obj(0x5000, "Shop.Invoice \"draft\"", 24), "object", ["thread 0x1f (managed 1) Shop.Program.Main"], 1, true),
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
            120, 118, nodes, edges, [new BackrefCut(3, 7, "depth limit")], null, null);
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
        Golden.Check("backrefs.dot", DotRenderer.Render(Sample()));
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
