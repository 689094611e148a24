using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Framework;

/// <summary>What lives across commands in one host session: the snapshots, and the target (if any).</summary>
public sealed class LeakSession
{
    public LeakSession(ITargetProvider? target) => Target = target;

    /// <summary>The current target; a host may switch it (the demo walks several dumps in one session).</summary>
    public ITargetProvider? Target { get; set; }

    public SnapshotStore Snapshots { get; } = new();

    public ITargetProvider RequireTarget(string command) =>
        Target ?? throw new LeakExt.Core.LeakExtException($"{command} needs a target: open a dump (leakext analyze DUMP) or a process (leakext attach PID).");
}

/// <summary>Everything one command invocation gets from its host.</summary>
public sealed class CommandContext
{
    public required LeakSession Session { get; init; }
    public required ICommandOutput Output { get; init; }
    public CancellationToken CancellationToken { get; init; }

    /// <summary>How the user types a command in this host (a host may rename one that clashes with its own).</summary>
    public Func<string, string> HostCommandName { get; init; } = name => name;

    /// <summary>How to set this host's symbol path, added to a DAC that would not load; null: Core's own words.</summary>
    public string? SymbolPathHint { get; init; }

    /// <summary>An error as this host words it.</summary>
    public string HostMessage(LeakExt.Core.LeakExtException error) =>
        error is LeakExt.Core.DacLoadException dac && SymbolPathHint is { } hint ? dac.WithHint(hint) : error.Message;
}
