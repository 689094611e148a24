using LeakExt.Commands;
using LeakExt.Commands.Commands;
using Microsoft.Diagnostics.DebugServices;

namespace LeakExt.DotnetDump;

// One host command per LeakExt command, declared from the command's own name and summary.
// The host's attribute is not inherited, so each is spelled out; a test checks none is missing.

[Command(Name = SnapshotCommand.CommandName, Help = SnapshotCommand.SummaryText)]
public sealed class Snapshot : LeakExtCommand { protected override string CommandName => SnapshotCommand.CommandName; }

[Command(Name = SnapshotsCommand.CommandName, Help = SnapshotsCommand.SummaryText)]
public sealed class Snapshots : LeakExtCommand { protected override string CommandName => SnapshotsCommand.CommandName; }

[Command(Name = SnapDiffCommand.CommandName, Help = SnapDiffCommand.SummaryText)]
public sealed class SnapDiff : LeakExtCommand { protected override string CommandName => SnapDiffCommand.CommandName; }

[Command(Name = HeapGrowthCommand.CommandName, Help = HeapGrowthCommand.SummaryText)]
public sealed class HeapGrowth : LeakExtCommand { protected override string CommandName => HeapGrowthCommand.CommandName; }

[Command(Name = BackrefsCommand.CommandName, Help = BackrefsCommand.SummaryText)]
public sealed class Backrefs : LeakExtCommand { protected override string CommandName => BackrefsCommand.CommandName; }

[Command(Name = RootPathCommand.CommandName, Help = RootPathCommand.SummaryText)]
public sealed class RootPath : LeakExtCommand { protected override string CommandName => RootPathCommand.CommandName; }

[Command(Name = RetainedCommand.CommandName, Help = RetainedCommand.SummaryText)]
public sealed class Retained : LeakExtCommand { protected override string CommandName => RetainedCommand.CommandName; }

[Command(Name = DominatorsCommand.CommandName, Help = DominatorsCommand.SummaryText)]
public sealed class Dominators : LeakExtCommand { protected override string CommandName => DominatorsCommand.CommandName; }

[Command(Name = FragmentationCommand.CommandName, Help = FragmentationCommand.SummaryText)]
public sealed class Fragmentation : LeakExtCommand { protected override string CommandName => FragmentationCommand.CommandName; }

/// <summary>LeakExt's help. Named "leakext" here: "help" is the host's own command for all its commands.</summary>
[Command(Name = HostName, Help = "Lists the LeakExt commands, or shows one's usage: leakext [COMMAND].")]
public sealed class Help : LeakExtCommand
{
    public const string HostName = "leakext";

    protected override string CommandName => HelpCommand.CommandName;
}
