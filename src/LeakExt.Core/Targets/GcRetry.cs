namespace LeakExt.Core.Targets;

/// <summary>The GC heap could not be walked because a garbage collection was under way when the target stopped.</summary>
public sealed class GcInProgressException(string message) : LeakExtException(message);

/// <summary>
/// Retrying a live target that was stopped in the middle of a GC: each failed attempt has already
/// detached (so the process runs and the GC finishes), then we wait and attach again, waiting
/// twice as long each time. Six attempts wait 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s, about 3 s in all:
/// a blocking GC of a heap of a few GiB takes well under a second.
/// </summary>
public static class GcRetry
{
    public const int Attempts = 6;
    public static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(100);

    /// <summary>The line a host prints before a retry.</summary>
    public static string Describe(string target, int attempt, TimeSpan wait) =>
        $"a GC was in progress in {target}; letting it run and trying again in {wait.TotalSeconds:0.0} s (attempt {attempt} of {Attempts})";

    /// <summary>Runs <paramref name="attempt"/> until it does not meet a GC in progress; <paramref name="onRetry"/>(next attempt, wait) before each wait.</summary>
    public static T Run<T>(Func<T> attempt, Action<int, TimeSpan>? onRetry, CancellationToken cancellationToken)
    {
        TimeSpan wait = FirstWait;
        for (int tried = 1; ; tried++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return attempt();
            }
            catch (GcInProgressException) when (tried < Attempts)
            {
                onRetry?.Invoke(tried + 1, wait);
                if (cancellationToken.WaitHandle.WaitOne(wait))
                    cancellationToken.ThrowIfCancellationRequested();
                wait *= 2;
            }
        }
    }
}
