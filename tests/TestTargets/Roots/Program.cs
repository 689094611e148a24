// Objects with more than one root, and references no field holds. One checkpoint, "built".
//
//   strong handle ────────────────────────────────────────────────► Target          (its own root: 1 object)
//   strong handle ─► Key ┄ConditionalWeakTable Graph.s_table┄► Target              (the table's key keeps its value)
//   static Roots.Graph.s_chain ─► Link ─► Link ─► Link ─► Key                     (so the key is held by a static too)
//   strong handle ─► Link (the second one)
//
//   static Roots.Graph.s_left ─► Shared ◄─ static Roots.Graph.s_right            (reachable from two roots:
//                                  └─► byte[500]                                   dominated by neither)
//
//   static Roots.Graph.s_owner ─► Owner ─► Rooted ─► byte[1000]                   (Rooted is also held by a
//   strong handle ─────────────────────────┘                                       handle: a root itself, so
//        retained(Owner) = Owner 24 only; retained(Rooted) = 24 + 1024             Owner does not dominate it)
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LeakExt.TestTargets;

namespace Roots;

public sealed class Target
{
    public int Id { get; } = 7;
}

public sealed class Key
{
    public int Id { get; } = 3;
}

public sealed class Link
{
    public object? Next { get; set; }
}

public sealed class Shared
{
    public byte[] Payload { get; } = new byte[500];
}

public sealed class Rooted
{
    public byte[] Payload { get; } = new byte[1000];
}

public sealed class Owner(Rooted rooted)
{
    public Rooted Rooted { get; } = rooted;
}

public static class Graph
{
    public static readonly ConditionalWeakTable<Key, Target> s_table = new();
    public static Link? s_chain;
    public static Shared? s_left;
    public static Shared? s_right;
    public static Owner? s_owner;
    public static readonly List<GCHandle> s_handles = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Build()
    {
        var target = new Target();
        var key = new Key();
        s_table.Add(key, target);
        var second = new Link { Next = new Link { Next = key } };
        s_chain = new Link { Next = second };
        s_handles.Add(GCHandle.Alloc(target));
        s_handles.Add(GCHandle.Alloc(key));
        s_handles.Add(GCHandle.Alloc(second));

        s_left = s_right = new Shared();

        var rooted = new Rooted();
        s_owner = new Owner(rooted);
        s_handles.Add(GCHandle.Alloc(rooted));
    }
}

public static class Program
{
    public static int Main()
    {
        Graph.Build();
        GC.Collect();
        Checkpoint.Reach(1, "built");
        GC.KeepAlive(Graph.s_table);
        return 0;
    }
}
