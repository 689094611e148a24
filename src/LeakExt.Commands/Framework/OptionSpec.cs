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

    /// <summary>The rules of <see cref="LeakExt.Core.Files.OutputFile"/> for users: the last section of docs/commands.md.</summary>
    public const string Documentation = """
        ## Output files

        `snapshot -save`, `backrefs -dot` and `-svg`, `heapgrowth -html`, and the standalone host's `leakext dump`,
        `leakext record --out` and `leakext heapgrowth --html` write through one writer, by these rules:

        - The file's folder must exist; it is never made (`record --out DIR` makes `DIR` itself, never its parents).
        - The name must be free or a regular file. A folder, a FIFO, a socket, a device or a symbolic link is refused
          with one line, a link even when it points to a regular file: LeakExt neither writes through links nor
          replaces them (name the file itself).
        - An existing file is replaced only with `-force` (`--force` in the standalone host's own commands); without
          it the command stops with one line, before it walks the heap.
        - The content goes to a temporary file beside the target, `.NAME.RANDOM.tmp`, created exclusively (it fails
          rather than open anything planted at that name) under a random name, flushed to disk, then renamed over the
          target in one step. On any failure (a full disk, Ctrl-C, a write error) it is deleted and the target is left
          as it was. `-svg` reads Graphviz's output from a pipe: `dot` never opens the file.
        - Dumps are readable by their owner only (0600): they hold the process's memory.

        Each refusal is one line on stderr and exit code 1 (the batch stops there).
        """;
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
