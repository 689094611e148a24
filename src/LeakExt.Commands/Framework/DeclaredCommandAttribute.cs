namespace LeakExt.Commands.Framework;

/// <summary>
/// Marks a command for every host. At compile time LeakExt.Generators lists each marked class in
/// CommandTable, as a WinDbg export and as a dotnet-dump/SOS command class, by its
/// <c>public const string CommandName</c> and <c>SummaryText</c>; so a new command is one file.
/// </summary>
/// <param name="position">Where help lists it (ascending; unique).</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DeclaredCommandAttribute(int position) : Attribute
{
    public int Position { get; } = position;

    /// <summary>The name in hosts that already own <c>CommandName</c> (dotnet-dump's own "help").</summary>
    public string? HostedName { get; init; }

    /// <summary>The summary under <see cref="HostedName"/>.</summary>
    public string? HostedSummary { get; init; }
}
