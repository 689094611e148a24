using System.Globalization;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>Options every command accepts.</summary>
public class CommandOptions
{
    public bool Json { get; set; }
    public bool Help { get; set; }
}

/// <summary>
/// One option of a command: its name (written <c>-name</c> or <c>--name</c>), the value it takes
/// (null for a flag), its help line, and how it sets the typed options object.
/// </summary>
public sealed class OptionSpec<TOptions>(string name, string? valueName, string help, Action<TOptions, string> apply)
{
    public string Name { get; } = name;
    public string? ValueName { get; } = valueName;
    public string Help { get; } = help;
    public Action<TOptions, string> Apply { get; } = apply;
    public bool IsFlag => ValueName is null;

    public static OptionSpec<TOptions> Flag(string name, string help, Action<TOptions> set) => new(name, null, help, (o, _) => set(o));
}

/// <summary>The -force option of commands that write files, declared once, and the rules it selects.</summary>
public static class OutputFileOption
{
    public const string Help = "replace output files that exist (never a link, a device or a FIFO)";

    public static OptionSpec<TOptions> Force<TOptions>(Action<TOptions> set) => OptionSpec<TOptions>.Flag("force", Help, set);

    public static LeakExt.Core.Files.OutputOptions Rules(bool force) => new(force, "-force");
}

/// <summary>A positional argument (help only; the command's binder receives them in order).</summary>
public sealed record ArgumentSpec(string Name, string Help, bool Optional, bool Repeats = false);

/// <summary>Converts option values with one-line, actionable errors.</summary>
public static class OptionValues
{
    public static int WholeNumber(string command, string option, string value, int min = 0)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min)
            return n;
        throw new LeakExtException($"{command}: -{option} expects a whole number ≥ {min}, got '{value}'.");
    }

    public static T OneOf<T>(string command, string option, string value, params (string Name, T Value)[] choices)
    {
        foreach ((string name, T choice) in choices)
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase))
                return choice;
        throw new LeakExtException($"{command}: -{option} must be one of {string.Join(", ", choices.Select(c => c.Name))}, got '{value}'.");
    }
}
