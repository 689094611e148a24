// The benchmark heap: about 10 million objects, 7 million of them live (scale 1.0).
//
//   static BigHeap.Program.s_customers ─► Dictionary<int, Customer> ─► Customer ─► string Name
//                                                                   └► List<Order> ─► Order[] ─► Order ×8 ─► string Sku
//        200,000 customers × 20 objects                                              = 4.0 M live
//   static s_tree   ─► TreeNode (random binary search tree, 1.5 M nodes)             = 1.5 M live
//   static s_arrays ─► object[10,000][100] of boxed ints                             ≈ 1.0 M live
//   static s_strings ─► string[500,000]                                              = 0.5 M live
//   Scratch ×3 M: held while the rest is built (so they reach gen2), then dropped   = 3.0 M dead
//
// Shapes (the second argument; each alone, no plain heap beside it), for the benchmark's per-object cost by shape:
//   array      static s_array ─► object[20 M] ─► Item ×20 M (distinct)                          = 20 M live
//   chain      static s_chain ─► Link ─► Link ─► … 10 M nodes; the tail is reached only through all
//   dictionary static s_dictionary ─► Dictionary<int, Item> (5 M entries) ─► Item ×5 M           = 5 M live
//   generics   static s_generics ─► object[10 M] ─► Pair<A, B> ×200 each of 50,000 distinct types
//                 (A, B: the first 224 public classes of System.Private.CoreLib)               = 10 M live
//              As many objects as the plain heap, so that the per-object comparison weighs the
//              types and not the fixed cost of a process (start and open: 0.3-0.4 s, which alone
//              is 2.5x the plain heap's whole cost per object at 1 M objects).
//
// Usage: BigHeap [scale=1.0] [shape=plain|array|chain|dictionary|generics]; reaches checkpoint 1 "built".
using System.Globalization;
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace BigHeap;

public sealed class Customer(string name)
{
    public string Name { get; } = name;
    public List<Order> Orders { get; } = new(8);
}

public sealed class Order(string sku, long quantity)
{
    public string Sku { get; } = sku;
    public long Quantity { get; } = quantity;
}

public sealed class TreeNode(int value)
{
    public int Value { get; } = value;
    public TreeNode? Left { get; set; }
    public TreeNode? Right { get; set; }
}

public sealed class Scratch(int a)
{
    public int A { get; } = a;
    public int B { get; set; }
}

public sealed class Item(int value)
{
    public int Value { get; } = value;
}

public sealed class Link(int value, Link? next)
{
    public int Value { get; } = value;
    public Link? Next { get; } = next;
}

public sealed class Pair<TFirst, TSecond>
{
    public TFirst? First { get; set; }
    public TSecond? Second { get; set; }
}

public static partial class Program
{
    private static Dictionary<int, Customer>? s_customers;
    private static TreeNode? s_tree;
    private static object[][]? s_arrays;
    private static string[]? s_strings;
    private static List<Scratch>? s_scratch;

    public static int Main(string[] args)
    {
        double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        string shape = args.Length > 1 ? args[1] : "plain";
        if (shape != "plain")
        {
            BuildShape(shape, scale);
            Checkpoint.Reach(1, "built");
            KeepShapes();
            return 0;
        }
        MakeScratch((int)(3_000_000 * scale));
        BuildCustomers((int)(200_000 * scale));
        BuildTree((int)(1_500_000 * scale));
        BuildArrays((int)(10_000 * scale));
        BuildStrings((int)(500_000 * scale));
        s_scratch = null;
        Checkpoint.Reach(1, "built");
        GC.KeepAlive(s_customers);
        GC.KeepAlive(s_tree);
        GC.KeepAlive(s_arrays);
        GC.KeepAlive(s_strings);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeScratch(int count)
    {
        s_scratch = new List<Scratch>(count);
        for (int i = 0; i < count; i++)
            s_scratch.Add(new Scratch(i));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildCustomers(int count)
    {
        s_customers = new Dictionary<int, Customer>(count);
        for (int i = 0; i < count; i++)
        {
            var customer = new Customer($"customer-{i}");
            for (int o = 0; o < 8; o++)
                customer.Orders.Add(new Order($"SKU-{i % 5000}-{o}", o + 1));
            s_customers[i] = customer;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildTree(int count)
    {
        var random = new Random(12345);
        s_tree = new TreeNode(random.Next());
        for (int i = 1; i < count; i++)
        {
            int value = random.Next();
            TreeNode node = s_tree;
            while (true)
            {
                if (value < node.Value)
                {
                    if (node.Left is null) { node.Left = new TreeNode(value); break; }
                    node = node.Left;
                }
                else
                {
                    if (node.Right is null) { node.Right = new TreeNode(value); break; }
                    node = node.Right;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildArrays(int count)
    {
        s_arrays = new object[count][];
        for (int i = 0; i < count; i++)
        {
            var array = new object[100];
            for (int j = 0; j < array.Length; j++)
                array[j] = i * 100 + j;
            s_arrays[i] = array;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildStrings(int count)
    {
        s_strings = new string[count];
        for (int i = 0; i < count; i++)
            s_strings[i] = "string number " + i.ToString(CultureInfo.InvariantCulture);
    }
}
