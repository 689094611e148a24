using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>
/// The GC's roots, as ClrMD's ClrHeap.EnumerateRoots gives them (strong handles, the buffers of
/// async-pinned handles, the finalizer queue, each thread's stack, the statics ClrMD adds), but
/// never a stack walk that crashes the host. The DAC's GC-reference walk dies with SIGSEGV (it
/// cannot be caught) on a thread whose managed throw is still in its first pass: it follows a
/// SoftwareExceptionFrame's saved-register pointers as if they were the debugger's own memory.
/// That is every thread an unhandled exception is killing in a crash-time dump, and a live
/// thread inside an exception filter. Such a thread is found first by its frame list (the stack
/// trace walk decodes no GC slots and is safe), and its stack is scanned conservatively instead:
/// every aligned word that is the start of a heap object is a root. So is a thread whose frame
/// list holds a managed frame the DAC cannot name: a live process is stopped wherever its threads
/// happen to be (one just back from the JIT, in a stub, or in the prestub), and there the walk ends
/// early, so a precise walk would drop every root of the frames it never reached. Conservative
/// roots can only keep more alive, never less.
/// Cost: O(handles + frames + scanned stack words); the scan reads the thread's used stack once.
/// </summary>
internal static class RootEnumerator
{
    /// <summary>One root: the object, its kind, and how paths name it.</summary>
    public readonly record struct Entry(ClrObject Object, RootKind Kind, string Description);

    /// <summary>A thread whose stack roots came from a conservative scan: its ids, why, and how many objects the scan found.</summary>
    public readonly record struct ScannedThread(uint OSThreadId, int ManagedThreadId, StackWalk Walk, long Roots);

    /// <summary>What a thread's frame list says about walking its stack for GC references.</summary>
    public enum StackWalk
    {
        /// <summary>Every frame is known and no throw is in flight: the runtime's walk is precise and safe.</summary>
        Precise,
        /// <summary>A throw is in flight (a SoftwareExceptionFrame): the DAC's reference walk crashes on it.</summary>
        Throwing,
        /// <summary>A managed frame the DAC cannot name: the walk stops there and would miss the outer frames' roots.</summary>
        Incomplete,
    }

    public const string ThrowingFrame = "SoftwareExceptionFrame";

    public static IEnumerable<Entry> Enumerate(ClrRuntime runtime, List<ScannedThread> scanned, CancellationToken cancellationToken)
    {
        ClrHeap heap = runtime.Heap;
        foreach (ClrHandle handle in runtime.EnumerateHandles())
        {
            RootKind kind = RootKinds.FromClrMd(handle.RootKind);
            if (handle.IsStrong && !IsWeakInteriorPointer(handle))
                yield return new Entry(handle.Object, kind, HandleName(kind));
            // An async-pinned handle pins its overlapped buffer too, and each object of a buffer array.
            if (handle.RootKind == ClrRootKind.AsyncPinnedHandle && handle.Object.IsValid
                && handle.Object.TryReadObjectField("m_userObject", out ClrObject buffer) && buffer.IsValid)
            {
                yield return new Entry(buffer, kind, HandleName(kind));
                if (buffer.IsArray && buffer.Type?.ComponentType?.ElementType is ClrElementType.Class or ClrElementType.Object
                        or ClrElementType.String or ClrElementType.SZArray or ClrElementType.Array)
                {
                    ClrArray array = buffer.AsArray();
                    for (int i = 0; i < array.Length; i++)
                        if (array.GetObjectValue(i) is { IsValid: true } element)
                            yield return new Entry(element, kind, HandleName(kind));
                }
            }
        }

        foreach (ClrRoot root in heap.EnumerateFinalizerRoots())
            yield return new Entry(root.Object, RootKind.FinalizerQueue, "finalizer queue");

        foreach (ClrThread thread in runtime.Threads)
        {
            if (!thread.IsAlive)
                continue;
            cancellationToken.ThrowIfCancellationRequested();
            ClrStackFrame[] frames = thread.EnumerateStackTrace(includeContext: false, maxFrames: 4096).ToArray();
            StackWalk walk = Classify(frames);
            if (walk != StackWalk.Precise)
            {
                var roots = ScanConservatively(runtime, thread, frames, walk);
                scanned.Add(new ScannedThread(thread.OSThreadId, thread.ManagedThreadId, walk, roots.Count));
                string name = $"thread 0x{thread.OSThreadId:x} (managed {thread.ManagedThreadId}) stack, conservative scan";
                foreach (ClrObject obj in roots)
                    yield return new Entry(obj, RootKind.ConservativeStack, name);
                continue;
            }
            foreach (ClrStackRoot root in thread.EnumerateStackRoots())
                yield return new Entry(StackObject(heap, root), RootKind.Stack, StackName(root));
        }

        foreach (ClrRoot root in AdditionalRoots(heap))
        {
            RootKind kind = RootKinds.FromClrMd(root.RootKind);
            yield return new Entry(root.Object, kind, kind switch
            {
                RootKind.Static => "statics table",
                RootKind.ThreadStatic => "thread-static",
                _ => RootKinds.Name(kind).Replace('-', ' '),
            });
        }
    }

    /// <summary>
    /// What a stack root points at. For an interior pointer ClrMD finds the containing object with its
    /// own heap walk, which believes every length and stops at the first corrupt object, so on a damaged
    /// heap it names the wrong object (the corrupt one, or one whose length swallowed the pointer). When
    /// the stack slot can be read and ClrMD's answer is consistent with it (the pointer itself, or an
    /// object that starts at or before it), the pointer itself is the root: the marking resolves it
    /// through the index, whose walk checked every extent and resumed after the damage. On a clean
    /// heap both give the same object.
    /// </summary>
    private static ClrObject StackObject(ClrHeap heap, ClrStackRoot root)
    {
        ClrObject found = root.Object;
        if (!root.IsInterior || root.Address == 0
            || !heap.Runtime.DataTarget.DataReader.ReadPointer(root.Address, out ulong pointer) || pointer == 0)
            return found;
        bool consistent = found.Address == pointer || (found.Address != 0 && found.Address < pointer);
        return consistent ? heap.GetObject(pointer) : found;
    }

    /// <summary>
    /// The statics and thread statics ClrMD 4.2.15 adds to the roots. A debugger host may run an
    /// older ClrMD 4.2 without that method (dotnet-dump 10.0.750501 has 4.2.14): there the
    /// statics come from the static fields themselves (<see cref="RootSet"/>) and nothing is lost.
    /// </summary>
    private static IEnumerable<ClrRoot> AdditionalRoots(ClrHeap heap)
    {
        try
        {
            return AdditionalRootsOfThisClrMD(heap);
        }
        catch (MissingMethodException)
        {
            return [];
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IEnumerable<ClrRoot> AdditionalRootsOfThisClrMD(ClrHeap heap) => heap.EnumerateAdditionalRoots();

    /// <summary>The handle kind of .NET 9+ that ClrMD does not know (HNDTYPE_WEAK_INTERIOR_POINTER).</summary>
    public const ClrHandleKind WeakInteriorPointer = (ClrHandleKind)10;

    /// <summary>
    /// A weak interior-pointer handle (kind 10, .NET 9+: how the runtime points at the statics of a
    /// collectible assembly) keeps nothing alive, but ClrMD counts every kind it does not know as
    /// strong (and SOS's gcroot lists them as roots): an unloaded plugin would look live.
    /// </summary>
    public static bool IsWeakInteriorPointer(ClrHandle handle) => handle.HandleKind == WeakInteriorPointer;

    /// <summary>How the thread's stack can be walked, from its frame list (a throw in flight wins: it is also incomplete past the throw).</summary>
    public static StackWalk Classify(IReadOnlyList<ClrStackFrame> frames)
    {
        StackWalk walk = StackWalk.Precise;
        foreach (ClrStackFrame frame in frames)
        {
            if (frame.Kind == ClrStackFrameKind.Runtime && frame.FrameName == ThrowingFrame)
                return StackWalk.Throwing;
            if (frame.Kind == ClrStackFrameKind.ManagedMethod && frame.Method is null)
                walk = StackWalk.Incomplete;
        }
        return walk;
    }

    /// <summary>
    /// The objects whose start address is stored in an aligned word of the thread's used stack: from
    /// its stack pointer (less the x64 red zone) to just past its outermost frame. When the frame list
    /// ended early the frames past its end are unknown, so the scan goes on to the stack's base: the
    /// one the runtime reports, or (ClrMD reports none on Linux) the end of the stack's readable
    /// memory, where the guard page of the next thread's stack or an unmapped gap begins.
    /// </summary>
    private static List<ClrObject> ScanConservatively(ClrRuntime runtime, ClrThread thread, ClrStackFrame[] frames, StackWalk walk)
    {
        var found = new List<ClrObject>();
        if (frames.Length == 0)
            return found;
        ulong innermost = frames.Min(f => f.StackPointer), outermost = frames.Max(f => f.StackPointer);
        ulong low = StackPointer(runtime.DataTarget.DataReader, thread.OSThreadId) is ulong sp && sp != 0 && sp <= innermost ? sp : innermost;
        low = (low - Math.Min(low, 128)) & ~7UL;
        ulong high = outermost + 4096;
        if (walk == StackWalk.Incomplete)
            high = thread.StackBase > high && thread.StackBase - low <= MaxScannedStack ? thread.StackBase : low + MaxUnboundedStack;
        if (high <= low || high - low > MaxScannedStack)
            return found;

        ClrHeap heap = runtime.Heap;
        MemoryRange[] ranges = heap.Segments.Select(s => s.ObjectRange).Where(r => r.Length > 0).OrderBy(r => r.Start).ToArray();
        var seen = new HashSet<ulong>();
        byte[] page = new byte[4096];
        IDataReader reader = runtime.DataTarget.DataReader;
        for (ulong at = low & ~4095UL; at < high; at += 4096)
        {
            int read = reader.Read(at, page);
            if (read <= 0 && at > outermost)
                break; // the end of the stack's memory
            for (int offset = 0; offset + 8 <= read; offset += 8)
            {
                ulong slot = at + (ulong)offset;
                if (slot < low || slot >= high)
                    continue;
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(offset));
                if ((value & 7) != 0 || !InRanges(ranges, value) || !seen.Add(value))
                    continue;
                ClrObject obj = heap.GetObject(value);
                if (obj.IsValid && obj.Type is not null && !obj.IsFree)
                    found.Add(obj);
            }
        }
        return found;
    }

    /// <summary>More used stack than any thread has (the main thread's default limit is 8 MiB): the frames' addresses are not believed.</summary>
    private const ulong MaxScannedStack = 64 << 20;

    /// <summary>How far past the stack pointer a scan with no known stack base may read (twice the main thread's default stack) before its memory ends.</summary>
    private const ulong MaxUnboundedStack = 16 << 20;

    private static bool InRanges(MemoryRange[] sorted, ulong address)
    {
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (address < sorted[mid].Start)
                hi = mid - 1;
            else if (address >= sorted[mid].End)
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }

    /// <summary>The thread's stack pointer from the dump's register context (x64 and arm64), or null.</summary>
    private static ulong? StackPointer(IDataReader reader, uint osThreadId)
    {
        (uint flags, int size, int offset) = reader.Architecture switch
        {
            Architecture.X64 => (0x10001Fu, 0x4d0, 0x98),
            Architecture.Arm64 => (0x400003u, 0x390, 0x100),
            _ => (0u, 0, 0),
        };
        if (size == 0)
            return null;
        byte[] context = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(context.AsSpan(Architecture.X64 == reader.Architecture ? 0x30 : 0), flags);
        return reader.GetThreadContext(osThreadId, flags, context) ? BinaryPrimitives.ReadUInt64LittleEndian(context.AsSpan(offset)) : null;
    }

    private static string HandleName(RootKind kind) => RootKinds.Name(kind).Replace('-', ' ');

    /// <summary>A stack root's thread and frame: "thread 0x1f2e (managed 1) Program.Main".</summary>
    private static string StackName(ClrStackRoot root)
    {
        ClrThread? thread = root.StackFrame?.Thread;
        ClrMethod? method = root.StackFrame?.Method;
        string where = method is null ? root.StackFrame?.FrameName ?? "unknown frame" : $"{method.Type?.Name}.{method.Name}";
        return thread is null ? $"stack {where}" : $"thread 0x{thread.OSThreadId:x} (managed {thread.ManagedThreadId}) {where}";
    }
}
