using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using LeakExt.Core.Growth;
using LeakExt.Core.Retention;
using LeakExt.Core.Snapshots;

namespace LeakExt.Core.Heap;

/// <summary>
/// The snapshot's hot loops, compiled on a background thread while the target opens. They are marked
/// AggressiveOptimization, which ReadyToRun leaves to the JIT: compiled at their first call, they
/// held up the walk, the marking and the histogram while the other core idled (about 40 ms of JIT
/// on the main thread of a 10 M-object snapshot). Compiling ahead is what the first call would do,
/// so whichever thread gets to a method first, the code is the same.
/// </summary>
internal static class HotLoops
{
    private static int s_started;

    /// <summary>Starts compiling the snapshot path's hot loops on a background thread, once per process.</summary>
    public static void CompileAhead()
    {
        // Precompiled whole (NativeAOT, the WinDbg extension), nothing is left to compile.
        if (!RuntimeFeature.IsDynamicCodeCompiled || Interlocked.Exchange(ref s_started, 1) != 0)
            return;
        new Thread(() => Compile(SnapshotPath())) { IsBackground = true, Name = "LeakExt hot loops" }.Start();
    }

    /// <summary>Compiles each method (a failure only leaves that one to its first call).</summary>
    private static void Compile(IEnumerable<MethodBase> methods)
    {
        foreach (MethodBase method in methods)
        {
            try
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
            {
            }
        }
    }

    /// <summary>The hot loops a snapshot of a dump runs, in the order it first calls them: walk, marking, histogram, pinning.</summary>
    internal static IEnumerable<MethodBase> SnapshotPath() =>
        MarkedIn(typeof(SegmentWalker))
            .Concat(RetentionMarker.HotLoops<FastReferenceReader>())
            .Concat(MarkedIn(typeof(FastReferenceReader)))
            .Concat(MarkedIn(typeof(KnownStates)))
            .Concat(MarkedIn(typeof(FrontierQueue)))
            .Concat(SnapshotBuilder.HotLoops())
            .Concat(MarkedIn(typeof(HolderCells)))
            .Concat(FragmentationAnalyzer.HotLoops());

    /// <summary>The methods of <paramref name="type"/> (declared there, any access) marked AggressiveOptimization.</summary>
    internal static IEnumerable<MethodBase> MarkedIn(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsGenericMethodDefinition && (m.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization) != 0);

    /// <summary><see cref="HeapIndex.ForEachInSegment"/> over one visitor type.</summary>
    internal static MethodBase ForEachInSegment<TVisitor>() where TVisitor : struct, IObjectVisitor =>
        typeof(HeapIndex).GetMethod(nameof(HeapIndex.ForEachInSegment))!.MakeGenericMethod(typeof(TVisitor));
}
