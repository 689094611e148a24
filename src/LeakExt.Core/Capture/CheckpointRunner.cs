using System.Diagnostics;

namespace LeakExt.Core.Capture;

/// <summary>
/// Runs a target program that follows the <see cref="CheckpointProtocol"/>, calls back at each
/// checkpoint while the target waits (to write a dump), then lets it go on. The process is
/// always ended (killed by PID if need be) before this returns.
/// </summary>
public sealed class CheckpointRunner
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Start the program through /bin/sh so that it is not our child (Linux, macOS). Attaching to
    /// one's own child with ptrace races with the runtime's own child-process bookkeeping, which
    /// may consume the stop notifications a debugger waits for.
    /// </summary>
    public bool NotAChild { get; init; }

    /// <summary>Runs to the end; <paramref name="atCheckpoint"/>(pid, number, label) runs while the target waits.</summary>
    public void Run(Action<int, int, string> atCheckpoint, CancellationToken cancellationToken = default) =>
        Run(reached => atCheckpoint(reached.ProcessId, reached.Number, reached.Label), cancellationToken);

    /// <summary>Runs to the end; <paramref name="atCheckpoint"/> runs while the target waits, with the facts it printed.</summary>
    public void Run(Action<CheckpointReached> atCheckpoint, CancellationToken cancellationToken = default)
    {
        bool viaShell = NotAChild && !OperatingSystem.IsWindows();
        var start = new ProcessStartInfo(viaShell ? "/bin/sh" : FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (viaShell)
        {
            // sh runs the program in the background and waits for it. A background job's stdin would
            // be /dev/null, so our stdin goes to it through fd 3.
            foreach (string argument in new[] { "-c", "exec 3<&0; \"$@\" <&3 3<&- & wait $!", "sh", FileName })
                start.ArgumentList.Add(argument);
        }
        foreach (string argument in Arguments)
            start.ArgumentList.Add(argument);
        foreach ((string key, string value) in Environment)
            start.Environment[key] = value;

        using Process process = Process.Start(start) ?? throw new LeakExtException($"could not start '{FileName}'.");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            while (true)
            {
                Task<string?> next = process.StandardOutput.ReadLineAsync(cancellationToken).AsTask();
                if (!next.Wait(CheckpointTimeout, cancellationToken))
                    throw new LeakExtException($"'{Path.GetFileName(FileName)}' reached no checkpoint within {CheckpointTimeout.TotalSeconds:0} s.");
                string? line = next.Result;
                if (line is null)
                    break;
                if (!CheckpointProtocol.TryParse(line, out int number, out string label, out int? reportedPid, out var facts))
                    continue;
                atCheckpoint(new CheckpointReached(reportedPid ?? process.Id, number, label, facts));
                process.StandardInput.WriteLine();
                process.StandardInput.Flush();
            }

            if (!process.WaitForExit(CheckpointTimeout))
                throw new LeakExtException($"'{Path.GetFileName(FileName)}' did not exit after its last checkpoint.");
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string stderr;
                lock (errors) stderr = errors.ToString().Trim();
                throw new LeakExtException($"'{Path.GetFileName(FileName)}' exited with code {process.ExitCode}: {stderr.ReplaceLineEndings(" ")}");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }
}
