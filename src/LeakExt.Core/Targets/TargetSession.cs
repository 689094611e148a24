using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Targets;

/// <summary>
/// One target plus what has been computed about it. The marked heap is cached for as long as
/// the target stays still: a dump forever, a live process until it resumes (<see cref="Invalidate"/>).
/// </summary>
public sealed class TargetSession : IDisposable
{
    private LiveHeap? _liveHeap;

    public TargetSession(LeakTarget target) => Target = target;

    public LeakTarget Target { get; }

    /// <summary>Drops every cache; call when a live target has run.</summary>
    public void Invalidate() => _liveHeap = null;

    internal LiveHeap GetLiveHeap(HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        if (_liveHeap is null || _liveHeap.Reader != reader)
            _liveHeap = LiveHeap.Build(Target, reader, progress, cancellationToken);
        return _liveHeap;
    }

    public Snapshot TakeSnapshot(string? name, HeapReaderKind reader, IProgress<WalkProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        LiveHeap heap = GetLiveHeap(reader, progress, cancellationToken);
        ClrRuntime runtime = Target.Runtime;
        var info = new SnapshotInfo(
            name,
            DateTimeOffset.UtcNow,
            Target.Description,
            Target.ProcessId ?? (Target.DataTarget.DataReader.ProcessId is int pid && pid > 0 ? pid : null),
            RuntimeVersion(runtime.ClrInfo),
            Target.DataTarget.DataReader.PointerSize,
            runtime.Heap.IsServer,
            runtime.Heap.SubHeaps.Length,
            heap.Reader == HeapReaderKind.Fast ? "fast" : "clrmd",
            Math.Round(clock.Elapsed.TotalSeconds, 3));
        return SnapshotBuilder.Build(heap, info);
    }

    /// <summary>
    /// The runtime's version. ClrMD reads it from the module's version resource, which ELF
    /// runtimes lack; there the shared-framework folder name (…/Microsoft.NETCore.App/10.0.12/) tells.
    /// </summary>
    internal static string RuntimeVersion(ClrInfo info)
    {
        if (info.Version.Major > 0)
            return info.Version.ToString();
        string? folder = Path.GetFileName(Path.GetDirectoryName(info.ModuleInfo.FileName?.Replace('\\', '/')) ?? "");
        return folder is not null && Version.TryParse(folder.Split('-')[0], out _) ? folder : "unknown";
    }

    public void Dispose() => Target.Dispose();
}
