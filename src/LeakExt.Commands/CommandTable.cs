using LeakExt.Commands.Framework;

namespace LeakExt.Commands;

/// <summary>
/// Every LeakExt command: each class marked [DeclaredCommand], listed at compile time by
/// LeakExt.Generators (the hosts' exports and command classes come from the same list), so no
/// reflection at run time, which the NativeAOT WinDbg host could not afford.
/// </summary>
public static partial class CommandTable
{
    public static IReadOnlyList<CommandDefinition> All { get; } = Declared();

    public static CommandDefinition? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name.TrimStart('!'), StringComparison.OrdinalIgnoreCase));
}
