// Who-holds-it scenarios, one checkpoint ("built"):
//
//   static Retention.Publisher.Changed (an event) ─► EventHandler ─► invocation list ─► Subscriber ×3   (never unsubscribed)
//   timer queue ─► TimerQueueTimer ─► TimerCallback ─► TimerClient ×4   (each owns a Timer on its own callback,
//        never disposed, dropped by the program: the queue keeps the clients, their timers keep the queue entries)
//   static Retention.Cache.s_entries ─► Dictionary<int, CachedItem> ─► CachedItem ×25
//   static Retention.Diamond.s_top ─► Top ─┬─► Left ──┐
//                                          └─► Right ─┴─► Shared ─► byte[1000]
//        retained(Top) = Top 32 + Left 24 + Right 24 + Shared 24 + byte[1000] 1024 = 1128 bytes
//        retained(Left) = 24 (Shared is also reached through Right); retained(Shared) = 1048
//   static Retention.WeakHolder.s_ref ─► WeakReference<WeakOnly> ┄weak handle┄► WeakOnly   (not live)
//   static Retention.Collections.s_tags ─► HashSet<Tag> ─► Tag ×5
//   static Retention.Collections.s_sessions ─► ConcurrentDictionary<string, Session> ─► Session ×6
//   static Retention.Collections.s_jobs ─► Queue<Job> ─► Job ×7
//   [ThreadStatic] Retention.ThreadCache.t_items (main thread) ─► List<ThreadItem> ─► ThreadItem ×4   (a thread-static root only)
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace Retention;

public static class Publisher
{
    public static event EventHandler? Changed;

    public static int Raise()
    {
        Changed?.Invoke(null, EventArgs.Empty);
        return Changed?.GetInvocationList().Length ?? 0;
    }
}

public sealed class Subscriber
{
    public byte[] Payload { get; } = new byte[100];
    public int Seen { get; private set; }
    public void OnChanged(object? sender, EventArgs e) => Seen++;
}

public sealed class TimerClient
{
    private readonly Timer _timer;

    public TimerClient() => _timer = new Timer(Tick, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));

    public int Ticks { get; private set; }
    public void Tick(object? state) => Ticks++;
}

public sealed class CachedItem(int id)
{
    public int Id { get; } = id;
}

public static class Cache
{
    public static readonly Dictionary<int, CachedItem> s_entries = new();
}

public sealed class Shared
{
    public byte[] Payload { get; } = new byte[1000];
}

public sealed class Left(Shared shared)
{
    public Shared Shared { get; } = shared;
}

public sealed class Right(Shared shared)
{
    public Shared Shared { get; } = shared;
}

public sealed class Top(Left left, Right right)
{
    public Left Left { get; } = left;
    public Right Right { get; } = right;
}

public static class Diamond
{
    public static Top? s_top;
}

public sealed class WeakOnly
{
    public long Value { get; set; } = 42;
}

public static class WeakHolder
{
    public static WeakReference<WeakOnly>? s_ref;
}

public sealed record Tag(int Id);

public sealed class Session(int id)
{
    public int Id { get; } = id;
}

public sealed class Job(int id)
{
    public int Id { get; } = id;
}

public static class Collections
{
    public static readonly HashSet<Tag> s_tags = new();
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Session> s_sessions = new();
    public static readonly Queue<Job> s_jobs = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fill()
    {
        for (int i = 0; i < 5; i++)
            s_tags.Add(new Tag(i));
        for (int i = 0; i < 6; i++)
            s_sessions[$"session-{i}"] = new Session(i);
        for (int i = 0; i < 7; i++)
            s_jobs.Enqueue(new Job(i));
    }
}

public sealed class ThreadItem(int id)
{
    public int Id { get; } = id;
}

public static class ThreadCache
{
    [ThreadStatic]
    public static List<ThreadItem>? t_items;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fill()
    {
        t_items = new List<ThreadItem>();
        for (int i = 0; i < Program.ThreadItems; i++)
            t_items.Add(new ThreadItem(i));
    }
}

public static class Program
{
    public const int Subscribers = 3, Timers = 4, CacheItems = 25, ThreadItems = 4;

    public static int Main()
    {
        Subscribe();
        StartTimers();
        FillCache();
        BuildDiamond();
        Collections.Fill();
        ThreadCache.Fill();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        MakeWeakOnly();
        Checkpoint.Reach(1, "built");
        return Publisher.Raise() == Subscribers && ThreadCache.t_items?.Count == ThreadItems ? 0 : 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Subscribe()
    {
        for (int i = 0; i < Subscribers; i++)
            Publisher.Changed += new Subscriber().OnChanged;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartTimers()
    {
        for (int i = 0; i < Timers; i++)
            _ = new TimerClient();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FillCache()
    {
        for (int i = 0; i < CacheItems; i++)
            Cache.s_entries[i] = new CachedItem(i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildDiamond()
    {
        var shared = new Shared();
        Diamond.s_top = new Top(new Left(shared), new Right(shared));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeWeakOnly() => WeakHolder.s_ref = new WeakReference<WeakOnly>(new WeakOnly());
}
