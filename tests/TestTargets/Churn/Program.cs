// Churns garbage and leaves the last batch in the heap: no GC runs between it and the dump.
//
//   static Churn.Program.s_keep ─► List<Keeper> ─► Keeper[] ─► Keeper ×1000   (live, stable)
//   Garbage ×10000, allocated after the last GC and dropped at once            (dead, still in the heap)
//   earlier rounds: 200000 Garbage each, collected by the GCs they cause
//
// Reaches one checkpoint, "garbage-left".
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace Churn;

public sealed class Keeper(int id)
{
    public int Id { get; } = id;
}

public sealed class Garbage(int id)
{
    public int Id { get; } = id;
    public Garbage? Next { get; set; }
}

public static class Program
{
    public const int Keepers = 1000;
    public const int LastBatch = 10_000;
    private static readonly List<Keeper> s_keep = new();

    public static int Main()
    {
        for (int i = 0; i < Keepers; i++)
            s_keep.Add(new Keeper(i));
        for (int round = 0; round < 5; round++)
            MakeGarbage(200_000);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        MakeGarbage(LastBatch);
        Checkpoint.Reach(1, "garbage-left");
        GC.KeepAlive(s_keep);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeGarbage(int count)
    {
        Garbage? previous = null;
        for (int i = 0; i < count; i++)
        {
            var item = new Garbage(i);
            if ((i & 1) == 0)
                item.Next = previous;
            previous = item;
        }
    }
}
