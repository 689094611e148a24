using LeakExt.Commands.Commands;
using LeakExt.Commands.Framework;

namespace LeakExt.Commands;

/// <summary>
/// Every LeakExt command, declared once. Hosts expose exactly this list (a test checks it);
/// a static table rather than reflection, because the WinDbg host is NativeAOT.
/// </summary>
public static class CommandTable
{
    public static IReadOnlyList<CommandDefinition> All { get; } =
    [
        new SnapshotCommand(),
        new SnapshotsCommand(),
        new SnapDiffCommand(),
        new HeapGrowthCommand(),
        new BackrefsCommand(),
        new RootPathCommand(),
        new RetainedCommand(),
        new DominatorsCommand(),
        new FragmentationCommand(),
        new HelpCommand(),
    ];

    public static CommandDefinition? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name.TrimStart('!'), StringComparison.OrdinalIgnoreCase));
}
