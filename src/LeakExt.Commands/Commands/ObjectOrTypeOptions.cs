using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Retention;

namespace LeakExt.Commands.Commands;

/// <summary>Options shared by commands that take ADDR or -type T.</summary>
public class ObjectOrTypeOptions : CommandOptions
{
    public ulong? Address { get; set; }
    public string? Type { get; set; }
}

internal static class ObjectOrType
{
    public static void Bind(string command, ObjectOrTypeOptions options, IReadOnlyList<string> positional, bool typeAllowed = true)
    {
        if (options.Type is not null)
            TypePattern.Parse(options.Type, command);
        if (positional.Count > 1)
            throw new LeakExtException($"{command}: expected one address, got {positional.Count} arguments; run '{command} -h' for usage.");
        if (positional.Count == 1)
            options.Address = Address.Parse(command, positional[0]);
        if (options.Address is null && options.Type is null)
            throw new LeakExtException(typeAllowed ? $"{command}: give an object address or -type T; run '{command} -h' for usage."
                                                   : $"{command}: give an object address; run '{command} -h' for usage.");
        if (options.Address is not null && options.Type is not null)
            throw new LeakExtException($"{command}: give an address or -type, not both.");
    }
}
