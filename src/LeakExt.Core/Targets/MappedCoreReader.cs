using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// ClrMD's ELF core reader with its memory reads served from the mapped file: a read the file
/// stores whole is a copy, not a system call (the DAC reads a few words at a time, hundreds of
/// thousands of times for a heap of many types). Anything else (a read that runs into a gap or a
/// part the core leaves out) goes to ClrMD's reader, so what a read returns does not change.
/// </summary>
internal sealed class MappedCoreReader(IDataReader inner, CoreFileMapping mapping) : ForwardingDataReader(inner)
{
    public CoreFileMapping Mapping { get; } = mapping;

    public override int Read(ulong address, Span<byte> buffer)
    {
        int read = Mapping.Read(address, buffer);
        return read == buffer.Length ? read : Inner.Read(address, buffer);
    }

    public override void Dispose()
    {
        base.Dispose();
        Mapping.Dispose();
    }
}
