using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.DataReaders.Implementation;

namespace LeakExt.Core.Targets;

/// <summary>
/// A live process's memory, read through ClrMD's own reader, that never throws. ClrMD's Linux reader
/// throws once the process has exited, and a throw inside the runtime's DAC, which reads through a
/// callback, ends our whole process (the host with it). Here a read that fails because the process
/// has exited reads nothing, as unmapped memory does: the walk fails on its own terms and the
/// caller finds the process gone.
/// </summary>
internal sealed class LiveProcessReader(IDataReader inner) : ForwardingDataReader(inner)
{
    public override bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context)
    {
        try
        {
            return Inner.GetThreadContext(threadID, contextFlags, context);
        }
        catch (Exception ex) when (Gone(ex))
        {
            return false;
        }
    }

    public override int Read(ulong address, Span<byte> buffer)
    {
        try
        {
            return Inner.Read(address, buffer);
        }
        catch (Exception ex) when (Gone(ex))
        {
            return 0;
        }
    }

    public override IEnumerable<uint> EnumerateOSThreadIds()
    {
        if (Inner is not IThreadReader threads)
            return [];
        try
        {
            return threads.EnumerateOSThreadIds().ToArray();
        }
        catch (Exception ex) when (Gone(ex))
        {
            return [];
        }
    }

    public override ulong GetThreadTeb(uint thread)
    {
        try
        {
            return Inner is IThreadReader threads ? threads.GetThreadTeb(thread) : 0;
        }
        catch (Exception ex) when (Gone(ex))
        {
            return 0;
        }
    }

    /// <summary>
    /// A failure because the process is gone: ClrMD's reader says so with InvalidOperationException
    /// ("The process has exited", already while the kernel tears it down); anything else counts only
    /// once the process is seen gone. Other failures of a running process are ClrMD's to report, as
    /// they would be without this reader.
    /// </summary>
    private bool Gone(Exception ex) =>
        ex is InvalidOperationException || (ex is IOException or UnauthorizedAccessException or ArgumentException && ProcessStatus.HasExited(Inner.ProcessId));
}
