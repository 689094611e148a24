using System.Runtime.CompilerServices;

namespace LeakExt.TestTargets;

/// <summary>Prints a checkpoint line and waits for the runner (which writes a dump meanwhile) to answer.</summary>
public static class Checkpoint
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Reach(int number, string label)
    {
        Console.Out.WriteLine($"LEAKEXT-CHECKPOINT {number} {label} pid={Environment.ProcessId}");
        Console.Out.Flush();
        // Without a runner (stdin closed) the program just goes on.
        Console.In.ReadLine();
    }
}
