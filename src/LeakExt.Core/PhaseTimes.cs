using System.Diagnostics;

namespace LeakExt.Core;

/// <summary>
/// Wall time and process CPU time per phase of one computation (roots, segment walk, marking, …),
/// in the order the phases ran, so the benchmark shows where the time goes; CPU time is the
/// steadier figure on a shared machine. Layout: a short list of (name, seconds, CPU seconds).
/// </summary>
public sealed class PhaseTimes
{
    private readonly List<(string Phase, double Seconds, double CpuSeconds)> _phases = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lap;
    private TimeSpan _cpuLap = CpuTime();

    public IReadOnlyList<(string Phase, double Seconds, double CpuSeconds)> Phases => _phases;

    /// <summary>Ends the phase that began at the last lap (or at construction) and names it.</summary>
    public void Lap(string phase)
    {
        TimeSpan now = _clock.Elapsed, cpu = CpuTime();
        Add(phase, (now - _lap).TotalSeconds, (cpu - _cpuLap).TotalSeconds);
        _lap = now;
        _cpuLap = cpu;
    }

    /// <summary>Adds a phase measured elsewhere; a phase met twice adds up.</summary>
    public void Add(string phase, double seconds, double cpuSeconds)
    {
        int at = _phases.FindIndex(p => p.Phase == phase);
        if (at >= 0)
            _phases[at] = (phase, _phases[at].Seconds + seconds, _phases[at].CpuSeconds + cpuSeconds);
        else
            _phases.Add((phase, seconds, cpuSeconds));
    }

    public void AddAll(PhaseTimes other)
    {
        foreach ((string phase, double seconds, double cpu) in other._phases)
            Add(phase, seconds, cpu);
    }

    private static TimeSpan CpuTime()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
