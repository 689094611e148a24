namespace LeakExt.Bench;

/// <summary>Everything one benchmark run measured (artifacts/bench/results.json). Times in seconds, memory in bytes.</summary>
/// <param name="Ratios">Ratios of the medians.</param>
/// <param name="RunRatios">The same ratios run by run (the two commands ran in the same round, under a minute apart): steadier than the ratio of medians when the machine's speed drifts.</param>
internal sealed record BenchResults(
    MachineInfo Machine, HeapInfo Heap, IReadOnlyList<WholeProcessRow> WholeProcess, IReadOnlyDictionary<string, double> Ratios,
    IReadOnlyDictionary<string, IReadOnlyList<double>> RunRatios,
    PhaseBreakdown Phases, IReadOnlyList<InterruptRow> Interrupts, IReadOnlyList<ShapeRow> Shapes, IReadOnlyList<CurveRow> Curve,
    IReadOnlyList<string> Notes);

/// <param name="LoadBefore">The 1-minute load average when the run began (2 cores: above 2 means other work competed).</param>
internal sealed record MachineInfo(string Date, int Cores, double LoadBefore, double LoadAfter, string Runtime, string? DotnetDump, string LeakextBuild);

/// <param name="Objects">Every object of the heap, live, dead and free blocks: what the walk visits.</param>
internal sealed record HeapInfo(string Shape, double Scale, long Objects, long Live, long DumpBytes, string PathTarget);

/// <summary>One command run as a whole process, <see cref="Runs"/> times; medians.</summary>
internal sealed record WholeProcessRow(string Name, string Command, int Runs, double Seconds, double MinSeconds, double MaxSeconds,
    long PeakRss, long PeakPrivate, double PrivatePerObject, IReadOnlyList<double> AllSeconds);

internal sealed record PhaseRow(string Phase, double Seconds, double CpuSeconds);

/// <summary>Inside one process: opening the dump, the snapshot phase by phase and the extra private memory it took, then the retention queries after it.</summary>
internal sealed record PhaseBreakdown(double Open, double Snapshot, long SnapshotExtraPrivate, double ExtraPrivatePerObject,
    IReadOnlyList<PhaseRow> SnapshotPhases, IReadOnlyDictionary<string, double> Retention);

/// <summary>SIGINT sent <see cref="After"/> seconds into a command: how long the process took to end, and its exit code (130: cancelled).</summary>
/// <summary>Latency is null when the command had finished before the SIGINT came.</summary>
internal sealed record InterruptRow(string Command, double After, double? Latency, int ExitCode);

/// <summary>
/// A heap shape against the plain heap, paired in the same runs: cost per object and memory, the
/// private memory per object against the plain heap's, and (for the chain) the queries as whole processes.
/// </summary>
/// <param name="Load">The 1-minute load average when the shape's runs began.</param>
/// <param name="DumpheapStatSeconds">The released dotnet-dump's <c>dumpheap -stat</c> on the same dump, median, in the same runs (null without dotnet-dump).</param>
internal sealed record ShapeRow(string Shape, long Objects, long Live, double SnapshotSeconds, double NanosecondsPerObject,
    double PlainNanosecondsPerObject, double VersusPlain, long PeakPrivate, double PrivatePerObject, double PlainPrivatePerObject,
    double MemoryVersusPlain, IReadOnlyDictionary<string, QueryRow> Queries, IReadOnlyList<PhaseRow> Phases, double Load, double? DumpheapStatSeconds);

/// <summary>A query on a shape's dump, a whole process: median seconds and peak private memory.</summary>
internal sealed record QueryRow(double Seconds, long PeakPrivate);

/// <param name="Load">The 1-minute load average when the scale's runs began.</param>
internal sealed record CurveRow(double Scale, long Objects, long Live, double SnapshotSeconds, double NanosecondsPerObject,
    long PeakPrivate, double PrivatePerObject, long PeakRss, IReadOnlyList<PhaseRow> Phases, double Load);
