using System.Runtime.CompilerServices;

namespace BigHeap;

/// <summary>The heap shapes of the benchmark (see the picture in Program.cs): sizes are multiplied by the scale.</summary>
public static partial class Program
{
    private static object[]? s_array;
    private static Link? s_chain;
    private static Dictionary<int, Item>? s_dictionary;
    private static object[]? s_generics;

    private static void BuildShape(string shape, double scale)
    {
        switch (shape)
        {
            case "array": BuildArray((int)(20_000_000 * scale)); break;
            case "chain": BuildChain((int)(10_000_000 * scale)); break;
            case "dictionary": BuildDictionary((int)(5_000_000 * scale)); break;
            case "generics": BuildGenerics((int)(50_000 * scale), 200); break;
            default: throw new ArgumentException($"unknown shape '{shape}': plain, array, chain, dictionary or generics");
        }
        // Everything reaches gen2, as in a long-running process.
        GC.Collect();
        GC.Collect();
    }

    private static void KeepShapes()
    {
        GC.KeepAlive(s_array);
        GC.KeepAlive(s_chain);
        GC.KeepAlive(s_dictionary);
        GC.KeepAlive(s_generics);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildArray(int count)
    {
        s_array = new object[count];
        for (int i = 0; i < count; i++)
            s_array[i] = new Item(i);
    }

    /// <summary>Built tail first, so the head is the last object allocated and the tail the first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildChain(int count)
    {
        Link? head = null;
        for (int i = count - 1; i >= 0; i--)
            head = new Link(i, head);
        s_chain = head;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildDictionary(int count)
    {
        s_dictionary = new Dictionary<int, Item>(count);
        for (int i = 0; i < count; i++)
            s_dictionary[i] = new Item(i);
    }

    /// <summary>Pair&lt;A, B&gt; over every ordered pair of the first classes of the core library, <paramref name="each"/> instances per type.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildGenerics(int types, int each)
    {
        Type[] arguments = typeof(object).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsGenericType && !t.IsAbstract && !t.IsByRefLike && t.IsVisible)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Take((int)Math.Ceiling(Math.Sqrt(types)))
            .ToArray();
        s_generics = new object[types * each];
        int made = 0;
        for (int a = 0; a < arguments.Length && made < types; a++)
        {
            for (int b = 0; b < arguments.Length && made < types; b++)
            {
                Type pair = typeof(Pair<,>).MakeGenericType(arguments[a], arguments[b]);
                for (int i = 0; i < each; i++)
                    s_generics[made * each + i] = Activator.CreateInstance(pair)!;
                made++;
            }
        }
        if (made < types)
            throw new InvalidOperationException($"only {made} generic types could be made");
    }
}
