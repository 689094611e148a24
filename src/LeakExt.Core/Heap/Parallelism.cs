using System.Runtime.ExceptionServices;

namespace LeakExt.Core.Heap;

internal static class Parallelism
{
    /// <summary>Workers for heap passes: one per core, at most 8.</summary>
    public static int Workers => Math.Clamp(Environment.ProcessorCount, 1, 8);

    /// <summary>Parallel.For that rethrows the first failure as itself (a LeakExtException stays one), not an AggregateException.</summary>
    public static void For(int count, CancellationToken cancellationToken, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Workers }, body);
        }
        catch (AggregateException ex)
        {
            ExceptionDispatchInfo.Capture(ex.Flatten().InnerExceptions[0]).Throw();
        }
    }
}
