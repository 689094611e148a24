using System.Runtime.CompilerServices;

namespace LeakExt.TestTargets;

/// <summary>
/// Prints a checkpoint line and waits for the runner (which writes a dump meanwhile) to answer.
/// The line carries what the runtime itself says about its GC at that moment, for tests to compare
/// with what LeakExt reads from the dump: gc-committed (GCMemoryInfo.TotalCommittedBytes, as of the
/// last GC), gc-heap (HeapSizeBytes), gc-fragmented (FragmentedBytes), gc-index (that GC's number)
/// and gc-gen0 / gc-gen2 (collections so far).
/// </summary>
public static class Checkpoint
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Reach(int number, string label)
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        Console.Out.WriteLine($"LEAKEXT-CHECKPOINT {number} {label} gc-committed={info.TotalCommittedBytes} gc-heap={info.HeapSizeBytes} " +
                              $"gc-fragmented={info.FragmentedBytes} gc-index={info.Index} gc-gen0={gen0} gc-gen2={gen2} pid={Environment.ProcessId}");
        Console.Out.Flush();
        // Without a runner (stdin closed) the program just goes on.
        Console.In.ReadLine();
    }
}
