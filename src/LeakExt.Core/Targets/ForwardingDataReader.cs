using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.DataReaders.Implementation;

namespace LeakExt.Core.Targets;

/// <summary>
/// A data reader that passes everything to ClrMD's own reader; subclasses change how memory or
/// threads are read. The typed reads all go through <see cref="Read(ulong, Span{byte})"/>.
/// </summary>
internal abstract class ForwardingDataReader(IDataReader inner) : IDataReader, IThreadReader, IDisposable
{
    protected IDataReader Inner { get; } = inner;

    public string DisplayName => Inner.DisplayName;
    public bool IsThreadSafe => Inner.IsThreadSafe;
    public OSPlatform TargetPlatform => Inner.TargetPlatform;
    public Architecture Architecture => Inner.Architecture;
    public int ProcessId => Inner.ProcessId;
    public int PointerSize => Inner.PointerSize;

    public IEnumerable<ModuleInfo> EnumerateModules() => Inner.EnumerateModules();

    public void FlushCachedData() => Inner.FlushCachedData();

    public virtual bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context) =>
        Inner.GetThreadContext(threadID, contextFlags, context);

    public virtual int Read(ulong address, Span<byte> buffer) => Inner.Read(address, buffer);

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

    public virtual IEnumerable<uint> EnumerateOSThreadIds() => Inner is IThreadReader threads ? threads.EnumerateOSThreadIds() : [];

    public virtual ulong GetThreadTeb(uint thread) => Inner is IThreadReader threads ? threads.GetThreadTeb(thread) : 0;

    public virtual void Dispose() => (Inner as IDisposable)?.Dispose();
}
