using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace LeakExt.WinDbg;

/// <summary>
/// DbgEng accepts calls only on the thread that called the extension, while our heap walks use
/// worker threads. A command therefore runs on a worker; the engine thread waits for it, runs the
/// debugger calls other threads queue (memory reads, output), and polls for the user's interrupt.
/// On the engine thread itself calls run directly. Cost: one hand-off per call from a worker
/// (microseconds); reads are large block reads, so this stays small beside the walk.
/// </summary>
internal sealed class EngineDispatcher
{
    private static readonly TimeSpan InterruptPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly BlockingCollection<WorkItem> _queue = new();
    private int _engineThreadId = Environment.CurrentManagedThreadId;

    public bool OnEngineThread => Environment.CurrentManagedThreadId == _engineThreadId;

    public T Invoke<T>(Func<T> call)
    {
        if (OnEngineThread)
            return call();
        var item = new WorkItem(() => call());
        _queue.Add(item);
        return (T)item.WaitForResult()!;
    }

    public void Invoke(Action call) => Invoke<object?>(() =>
    {
        call();
        return null;
    });

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread while this (the engine) thread serves its
    /// debugger calls; <paramref name="interruptRequested"/> is polled here and cancels the work.
    /// </summary>
    public T Run<T>(Func<CancellationToken, T> work, Func<bool> interruptRequested)
    {
        _engineThreadId = Environment.CurrentManagedThreadId;
        using var cancellation = new CancellationTokenSource();
        var worker = new Thread(state => ((WorkItem)state!).Execute(), maxStackSize: 16 * 1024 * 1024) { IsBackground = true, Name = "leakext command" };
        var job = new WorkItem(() => work(cancellation.Token));
        worker.Start(job);
        DateTime nextPoll = DateTime.UtcNow;
        while (!job.IsDone)
        {
            if (_queue.TryTake(out WorkItem? request, 20))
                request.Execute();
            if (!cancellation.IsCancellationRequested && DateTime.UtcNow >= nextPoll)
            {
                nextPoll = DateTime.UtcNow + InterruptPollInterval;
                if (interruptRequested())
                    cancellation.Cancel();
            }
        }
        // A worker's last request may have been queued just before the job finished.
        while (_queue.TryTake(out WorkItem? late))
            late.Execute();
        return (T)job.WaitForResult()!;
    }

    private sealed class WorkItem(Func<object?> body)
    {
        private readonly ManualResetEventSlim _done = new();
        private object? _result;
        private ExceptionDispatchInfo? _failure;

        public bool IsDone => _done.IsSet;

        public void Execute()
        {
            try
            {
                _result = body();
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
            }
            _done.Set();
        }

        public object? WaitForResult()
        {
            _done.Wait();
            _failure?.Throw();
            return _result;
        }
    }
}
