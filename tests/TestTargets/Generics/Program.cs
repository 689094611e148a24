// Generic instantiations of every shape LeakExt names (see Shapes.cs, and Counts.cs for the numbers), Counts.Each instances each,
// all held by one static list. One checkpoint, "built":
//
//   static Generics.Program.s_keep ─► List<object> ─┬─► Pair<X, System.String>, Pair<System.String, X>   (X: Counts.CoreArguments core classes)
//                                                   ├─► Pair<Int32, String>, Pair<Int64, Int32>, Pair<Int32[], String[,]>, Pair<Pair<Int32, Int32>[], Object>,
//                                                   │   Pair<List<String>, Dictionary<Int32, Pair<String, Int32>>>, Pair<Nullable<Int32>, ValueTuple<Int32, String>>
//                                                   ├─► Triple<String, Int32, Uri>, Triple<Version, Version, Version>
//                                                   ├─► Outer<String>+Plain, Outer<Int32>+Plain, Outer<Uri>+Plain
//                                                   ├─► Outer<String>+Inner<Int32>, Outer<Int32>+Inner<String>, Outer<Uri>+Inner<Version>
//                                                   ├─► Derived<String>, Derived<Uri>, Derived<Int32>
//                                                   ├─► boxed Slot<String>, Slot<Int32>, Slot<Uri>
//                                                   └─► Pair<String, Int32>[], Dictionary<String, ValueTuple<Int32, String>> (its Entry[] too)
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace Generics;

public static class Program
{
    private static readonly List<object> s_keep = new();

    public static int Main()
    {
        Build();
        Checkpoint.Reach(1, "built");
        GC.KeepAlive(s_keep);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Build()
    {
        Type[] core = typeof(object).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsGenericType && !t.IsAbstract && !t.IsByRefLike && t.IsVisible && t != typeof(string))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Take(Counts.CoreArguments)
            .ToArray();
        foreach (Type argument in core)
        {
            Keep(typeof(Pair<,>).MakeGenericType(argument, typeof(string)));
            Keep(typeof(Pair<,>).MakeGenericType(typeof(string), argument));
        }
        for (int i = 0; i < Counts.Each; i++)
        {
            s_keep.Add(new Pair<int, string>());
            s_keep.Add(new Pair<long, int>());
            s_keep.Add(new Pair<int[], string[,]>());
            s_keep.Add(new Pair<Pair<int, int>[], object>());
            s_keep.Add(new Pair<List<string>, Dictionary<int, Pair<string, int>>>());
            s_keep.Add(new Pair<int?, (int, string)>());
            s_keep.Add(new Triple<string, int, Uri>());
            s_keep.Add(new Triple<Version, Version, Version>());
            s_keep.Add(new Outer<string>.Plain());
            s_keep.Add(new Outer<int>.Plain());
            s_keep.Add(new Outer<Uri>.Plain());
            s_keep.Add(new Outer<string>.Inner<int>());
            s_keep.Add(new Outer<int>.Inner<string>());
            s_keep.Add(new Outer<Uri>.Inner<Version>());
            s_keep.Add(new Derived<string>());
            s_keep.Add(new Derived<Uri>());
            s_keep.Add(new Derived<int>());
            s_keep.Add(new Slot<string> { Value = "slot" });
            s_keep.Add(new Slot<int> { Value = i });
            s_keep.Add(new Slot<Uri>());
            s_keep.Add(new Pair<string, int>[2]);
            s_keep.Add(new Dictionary<string, (int, string)> { ["key"] = (i, "value") });
        }
    }

    private static void Keep(Type type)
    {
        for (int i = 0; i < Counts.Each; i++)
            s_keep.Add(Activator.CreateInstance(type)!);
    }
}
