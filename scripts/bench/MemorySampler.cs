namespace LeakExt.Bench;

/// <summary>
/// Samples this process's memory from /proc/self/status every 2 ms while a measurement runs:
/// the peak of RssAnon (private memory: arrays, native buffers, GC heap) and of VmRSS (that plus
/// pages of the memory-mapped dump, which the OS can drop at any time).
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public long BaselineAnon { get; }
    public long BaselineRss { get; }
    public long PeakAnon { get; private set; }
    public long PeakRss { get; private set; }

    public MemorySampler()
    {
        (BaselineAnon, BaselineRss) = Read();
        (PeakAnon, PeakRss) = (BaselineAnon, BaselineRss);
        _thread = new Thread(Loop) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    private void Loop()
    {
        while (!_stop)
        {
            Sample();
            Thread.Sleep(2);
        }
    }

    private void Sample()
    {
        (long anon, long rss) = Read();
        if (anon > PeakAnon) PeakAnon = anon;
        if (rss > PeakRss) PeakRss = rss;
    }

    public static (long Anon, long Rss) Read()
    {
        long anon = 0, rss = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                anon = Kilobytes(line);
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = Kilobytes(line);
        }
        return (anon, rss);
    }

    private static long Kilobytes(string line) => long.Parse(line.Split(':')[1].Trim().Split(' ')[0]) * 1024;

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Sample();
    }
}
