using System.Buffers.Binary;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.DataReaders.Implementation;

namespace LeakExt.Core.Growth;

/// <summary>
/// Where the threads' stacks are: each thread's stack pointer, from its register context (a core's
/// PRSTATUS notes, ptrace for a live process, the debugger's thread context in a host). The stack
/// is then the memory region that contains that address. Linux dumps have no thread stack bounds
/// (ClrMD's StackBase/StackLimit are zero there), so this is how stacks are found at all.
/// </summary>
internal static class ThreadStacks
{
    /// <summary>One stack pointer per thread that has a readable context; managed threads' bounds where the runtime knows them.</summary>
    public static (List<ulong> StackPointers, List<(ulong Start, ulong End)> KnownBounds) Read(ClrRuntime runtime)
    {
        IDataReader reader = runtime.DataTarget.DataReader;
        var bounds = new List<(ulong, ulong)>();
        var ids = new HashSet<uint>();
        foreach (ClrThread thread in runtime.Threads)
        {
            if (thread.OSThreadId != 0)
                ids.Add(thread.OSThreadId);
            if (thread.StackBase > thread.StackLimit && thread.StackLimit != 0)
                bounds.Add((thread.StackLimit, thread.StackBase));
        }
        if (reader is IThreadReader threads)
        {
            try
            {
                ids.UnionWith(threads.EnumerateOSThreadIds());
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
            {
                // A host's reader fails in its own ways; the managed threads are still known.
            }
        }

        var pointers = new List<ulong>();
        (int size, uint flags, int offset, int width) = Layout(reader.Architecture);
        if (size == 0)
            return (pointers, bounds);
        byte[] context = new byte[size];
        foreach (uint id in ids)
        {
            Array.Clear(context);
            bool read;
            try
            {
                read = reader.GetThreadContext(id, flags, context);
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
            {
                // Likewise: a thread whose context cannot be read only goes uncounted.
                read = false;
            }
            if (!read)
                continue;
            ulong sp = width == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(context.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(context.AsSpan(offset));
            if (sp != 0)
                pointers.Add(sp);
        }
        return (pointers, bounds);
    }

    /// <summary>The Windows-style CONTEXT ClrMD fills in: its size, the flags for control registers, and where the stack pointer is.</summary>
    private static (int Size, uint Flags, int Offset, int Width) Layout(System.Runtime.InteropServices.Architecture architecture) => architecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => (AMD64Context.Size, AMD64Context.ContextControl, 0x98, 8),
        System.Runtime.InteropServices.Architecture.Arm64 => (Arm64Context.Size, Arm64Context.ContextControl, 0x100, 8),
        System.Runtime.InteropServices.Architecture.X86 => (X86Context.Size, X86Context.ContextControl, 0xc4, 4),
        System.Runtime.InteropServices.Architecture.Arm => (ArmContext.Size, ArmContext.ContextControl, 0x38, 4),
        _ => (0, 0, 0, 0),
    };
}
