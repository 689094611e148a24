// Memory behaviours that must not cry wolf, and real problems that must be named: Patterns <scenario>.
// One scenario per run, a checkpoint after each phase (8 phases for slowleak and sawtooth, else 6);
// the program collects (GC.Collect, finalizers, GC.Collect) before each checkpoint, except garbage.
// Each heap stays in the tens of MiB.
//
//   spike         phase 2 holds 48 MiB of request buffers (static s_request ─► List<byte[]>), phase 3 drops
//                 the list: live bytes return; the free regions the GC keeps afterwards are GC memory → none
//   warmup        phase 2 takes 24 MiB of native memory once (NativeMemory, kept in s_native), then flat → none
//   slowleak      32 MiB of static cache, + 160 sessions (s_sessions ─► List<Session> ─► byte[1000]) a phase
//                 (+0.5% live bytes), under in-flight buffers (s_inFlight) of 0…1.28 MiB (±2%), seeded → leak
//   sawtooth      s_cache ─► List<byte[]> gains 4 MiB a phase and is cleared every third phase         → none
//   lru           s_lru: 2,000 entries of 2…6 KiB, full from phase 1; 1,500 lookups of 10,000 keys a phase,
//                 the least recent evicted                                                            → none
//   garbage       4 MiB of garbage a phase and no GC (the gen0 budget is pinned at 64 MiB)             → none
//   fragmented    phase 1: 200,000 byte[200] with every 1,000th pinned (s_pins), the rest dropped: more
//                 than 80% of the heap is free space between pins, and stays so                      → fragmentation
//   pinnedgrowth  phase k: k × 30,000 byte[200] with every 1,000th pinned and kept (s_pins), the rest
//                 dropped: each wave outgrows the gaps of the last, so free space between pins grows → fragmentation
//   native        96 blocks of 64 KiB a phase from NativeMemory.Alloc, written, never freed            → native
//   finalizer     300 Locked objects a phase whose finalizers wait for a lock the main thread holds    → finalizer-backlog
//
// Two live scenarios for `leakext record` and `attach`, one checkpoint, work going on while it waits:
//   ticker        1,000,000 Cached objects (s_cached), and a thread adding one Tick to s_ticks every 2 ms
//   gcstorm       300,000 Cached objects, and a thread allocating garbage and forcing a blocking, compacting
//                 gen2 GC every 5 ms: a snapshot often finds a GC in progress
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LeakExt.TestTargets;

namespace Patterns;

public sealed class Session(int id)
{
    public int Id { get; } = id;
    public byte[] State { get; } = new byte[1000];
}

public sealed class Cached(int id)
{
    public int Id { get; } = id;
}

public sealed class Tick(long at)
{
    public long At { get; } = at;
}

public sealed class Locked
{
    public static readonly object Lock = new();
    public byte[] Payload { get; } = new byte[256];

    ~Locked()
    {
        lock (Lock)
            Payload[0] = 1;
    }
}

public static unsafe class Scenarios
{
    public static List<byte[]>? s_request;
    public static readonly List<byte[]> s_staticCache = new();
    public static readonly List<Session> s_sessions = new();
    public static readonly List<byte[]> s_inFlight = new();
    public static readonly List<byte[]> s_cache = new();
    public static readonly Dictionary<int, (byte[] Value, LinkedListNode<int> Node)> s_lru = new();
    public static readonly LinkedList<int> s_lruOrder = new();
    public static readonly List<GCHandle> s_pins = new();
    public static readonly List<IntPtr> s_native = new();
    public static byte[]? s_garbage;
    public static readonly List<Cached> s_cached = new();
    public static readonly List<Tick> s_ticks = new();
    private static readonly Random s_random = new(20261201);
    private static volatile bool s_stop;

    public static int Phases(string scenario) => scenario is "slowleak" or "sawtooth" ? 8 : 6;

    /// <summary>Starts the background work of a live scenario; <see cref="Stop"/> ends it.</summary>
    public static Thread Busy(string scenario)
    {
        for (int i = 0; i < (scenario == "ticker" ? 1_000_000 : 300_000); i++)
            s_cached.Add(new Cached(i));
        var thread = new Thread(() =>
        {
            while (!s_stop)
            {
                if (scenario == "ticker")
                {
                    lock (s_ticks)
                        s_ticks.Add(new Tick(Environment.TickCount64));
                    Thread.Sleep(2);
                }
                else
                {
                    for (int i = 0; i < 20_000; i++)
                        _ = new Tick(i);
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    Thread.Sleep(5);
                }
            }
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    public static void Stop(Thread thread)
    {
        s_stop = true;
        thread.Join();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(string scenario, int phase)
    {
        switch (scenario)
        {
            case "spike":
                s_request = phase == 2 ? new List<byte[]>() : null;
                for (int i = 0; phase == 2 && i < 48 * 1024; i++)
                    s_request!.Add(new byte[1000]);
                break;
            case "warmup":
                if (phase == 2)
                    s_native.Add(NativeBlock(24 << 20));
                break;
            case "slowleak":
                if (phase == 1)
                    for (int i = 0; i < 32 * 1024; i++)
                        s_staticCache.Add(new byte[1000]);
                for (int i = 0; i < 160; i++)
                    s_sessions.Add(new Session(s_sessions.Count));
                s_inFlight.Clear();
                for (int i = s_random.Next(0, 1311); i > 0; i--)
                    s_inFlight.Add(new byte[1000]);
                break;
            case "sawtooth":
                for (int i = 0; i < 4 * 1024; i++)
                    s_cache.Add(new byte[1000]);
                if (phase % 3 == 0)
                    s_cache.Clear();
                break;
            case "lru":
                // Phase 1 fills it (and more); from then on it only wanders.
                for (int i = phase == 1 ? 6000 : 1500; i > 0; i--)
                    Lookup(s_random.Next(10_000));
                break;
            case "garbage":
                // Through a static field, so that the JIT cannot put them on the stack.
                for (int i = 0; i < 4 * 1024; i++)
                    s_garbage = new byte[1000];
                break;
            case "fragmented":
                if (phase == 1)
                    Fragment(200_000, 1000);
                break;
            case "pinnedgrowth":
                // More each phase than the gaps left so far (the GC fills those first), as traffic grows.
                Fragment(phase * 30_000, 1000);
                break;
            case "native":
                for (int i = 0; i < 96; i++)
                    s_native.Add(NativeBlock(64 << 10));
                break;
            case "finalizer":
                for (int i = 0; i < 300; i++)
                    _ = new Locked();
                break;
            default:
                throw new ArgumentException($"unknown scenario '{scenario}'");
        }
    }

    /// <summary>Native memory, every page written so that it is really there.</summary>
    private static IntPtr NativeBlock(int bytes)
    {
        byte* block = (byte*)NativeMemory.Alloc((nuint)bytes);
        for (int offset = 0; offset < bytes; offset += 4096)
            block[offset] = 1;
        return (IntPtr)block;
    }

    private static void Lookup(int key)
    {
        if (s_lru.TryGetValue(key, out var hit))
        {
            s_lruOrder.Remove(hit.Node);
            s_lruOrder.AddFirst(hit.Node);
            return;
        }
        if (s_lru.Count == 2000)
        {
            int oldest = s_lruOrder.Last!.Value;
            s_lruOrder.RemoveLast();
            s_lru.Remove(oldest);
        }
        s_lru[key] = (new byte[s_random.Next(2048, 6145)], s_lruOrder.AddFirst(key));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fragment(int count, int pinEvery)
    {
        var arrays = new byte[count][];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = new byte[200];
            if (i % pinEvery == 0)
                s_pins.Add(GCHandle.Alloc(arrays[i], GCHandleType.Pinned));
        }
        GC.KeepAlive(arrays);
    }
}

public static class Program
{
    public static int Main(string[] args)
    {
        string scenario = args.Length > 0 ? args[0] : "spike";
        if (scenario is "ticker" or "gcstorm")
        {
            Thread busy = Scenarios.Busy(scenario);
            Checkpoint.Reach(1, $"{scenario}-running");
            Scenarios.Stop(busy);
            return 0;
        }
        bool locked = scenario == "finalizer";
        if (locked)
            Monitor.Enter(Locked.Lock);
        for (int phase = 1; phase <= Scenarios.Phases(scenario); phase++)
        {
            Scenarios.Run(scenario, phase);
            if (scenario != "garbage")
            {
                GC.Collect();
                if (!locked)
                    GC.WaitForPendingFinalizers();
                GC.Collect();
            }
            Checkpoint.Reach(phase, $"{scenario}-phase-{phase}");
        }
        // Let the waiting finalizers run, or the runtime cannot shut down.
        if (locked)
            Monitor.Exit(Locked.Lock);
        return 0;
    }
}
