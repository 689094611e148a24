using System.Runtime.InteropServices;
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
internal sealed class LiveProcessReader(IDataReader inner) : IDataReader, IThreadReader, IDisposable
{
    public string DisplayName => inner.DisplayName;
    public bool IsThreadSafe => inner.IsThreadSafe;
    public OSPlatform TargetPlatform => inner.TargetPlatform;
    public Architecture Architecture => inner.Architecture;
    public int ProcessId => inner.ProcessId;
    public int PointerSize => inner.PointerSize;

    public IEnumerable<ModuleInfo> EnumerateModules() => inner.EnumerateModules();

    public void FlushCachedData() => inner.FlushCachedData();

    public bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context)
    {
        try
        {
            return inner.GetThreadContext(threadID, contextFlags, context);
        }
        catch (Exception ex) when (Gone(ex))
        {
            return false;
        }
    }

    public int Read(ulong address, Span<byte> buffer)
    {
        try
        {
            return inner.Read(address, buffer);
        }
        catch (Exception ex) when (Gone(ex))
        {
            return 0;
        }
    }

    public bool Read<T>(ulong address, out T value) where T : unmanaged
    {
        T result = default;
        Span<byte> bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref result, 1));
        bool complete = Read(address, bytes) == bytes.Length;
        value = complete ? result : default;
        return complete;
    }

    public T Read<T>(ulong address) where T : unmanaged => Read(address, out T value) ? value : default;

    public bool ReadPointer(ulong address, out ulong value)
    {
        if (PointerSize == 4)
        {
            bool read = Read(address, out uint narrow);
            value = narrow;
            return read;
        }
        return Read(address, out value);
    }

    public ulong ReadPointer(ulong address) => ReadPointer(address, out ulong value) ? value : 0;

    public IEnumerable<uint> EnumerateOSThreadIds()
    {
        if (inner is not IThreadReader threads)
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

    public ulong GetThreadTeb(uint thread)
    {
        try
        {
            return inner is IThreadReader threads ? threads.GetThreadTeb(thread) : 0;
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
        ex is InvalidOperationException || (ex is IOException or UnauthorizedAccessException or ArgumentException && ProcessStatus.HasExited(inner.ProcessId));

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
