// A program that dies of an unhandled exception, so the runtime writes the dump itself
// (DOTNET_DbgEnableMiniDump=1), or waits at a checkpoint inside an exception filter. Either way a
// thread's managed throw is in its first pass, where the runtime's stack walk (the DAC's) crashes
// the debugger that asks it for stack roots.
//
//   static Crash.Program.s_entries ─► List<Entry> ─► Entry[] ─► Entry ×1000 ─► byte[64] each
//   main:    Main's local ─► StackHeld ─► Marker (Id 1)           (held only by the throwing main thread's stack)
//   thread:  the thread "crasher" ─► its local StackHeld ─► Marker (Id 2), throws;
//            Main waits in Join holding its own StackHeld ─► Marker (Id 1) (an ordinary stack root)
//   filter:  like thread, but the crasher's exception filter reaches checkpoint 1 ("in-filter") and
//            waits: the process is alive, with a throw in flight; then the program exits normally
//
// Usage: Crash main|thread|filter
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace Crash;

public sealed class Entry(int id)
{
    public int Id { get; } = id;
    public byte[] Payload { get; } = new byte[64];
}

public sealed class Marker(int id)
{
    public int Id { get; } = id;
}

public sealed class StackHeld(int id)
{
    public Marker Marker { get; } = new(id);
}

public sealed class CrashTestException(string message) : Exception(message);

public static class Program
{
    public static readonly List<Entry> s_entries = new();

    public static int Main(string[] args)
    {
        for (int i = 0; i < 1000; i++)
            s_entries.Add(new Entry(i));
        var held = new StackHeld(1);
        switch (args.Length > 0 ? args[0] : "main")
        {
            case "main":
                Level1(held);
                break;
            case "thread":
            case "filter":
                bool filter = args[0] == "filter";
                var crasher = new Thread(() =>
                {
                    var own = new StackHeld(2);
                    if (!filter)
                        Level1(own);
                    try
                    {
                        Level1(own);
                    }
                    catch (CrashTestException) when (WaitInFilter())
                    {
                    }
                    GC.KeepAlive(own);
                }) { Name = "crasher" };
                crasher.Start();
                crasher.Join();
                break;
            default:
                throw new ArgumentException($"unknown mode '{args[0]}'");
        }
        GC.KeepAlive(held);
        return 0;
    }

    private static bool WaitInFilter()
    {
        Checkpoint.Reach(1, "in-filter");
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Level1(StackHeld held) => Level2(held);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Level2(StackHeld held) => Level3(held);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Level3(StackHeld held)
    {
        GC.Collect();
        GC.KeepAlive(held);
        throw new CrashTestException("the crash the test target was built for");
    }
}
