using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>A command as every host sees it: a name, help generated from its declarations, and Invoke.</summary>
public abstract class CommandDefinition
{
    public abstract string Name { get; }
    public abstract string Summary { get; }

    /// <summary>Usage, options and notes, generated from the declarations so they cannot drift.</summary>
    public abstract string HelpText { get; }

    /// <summary>The options it accepts, -json and -h included (for "did you mean" and completion).</summary>
    public abstract IReadOnlyList<OptionInfo> OptionList { get; }

    /// <summary>Parses the arguments, runs, and renders text or JSON to the context's output.</summary>
    public abstract void Invoke(IReadOnlyList<string> arguments, CommandContext context);
}

/// <summary>An option's name (without dashes) and the value it takes (FILE, N, T…; null for a flag).</summary>
public sealed record OptionInfo(string Name, string? ValueName);

/// <summary>
/// A command with typed options and a result record. Subclasses declare options and arguments,
/// compute a result in <see cref="Run"/>, and name a text renderer and a JSON type for it.
/// </summary>
public abstract class Command<TOptions, TResult> : CommandDefinition
    where TOptions : CommandOptions, new()
    where TResult : class
{
    protected abstract IReadOnlyList<OptionSpec<TOptions>> Options { get; }
    protected virtual IReadOnlyList<ArgumentSpec> Arguments => [];
    protected virtual string? Notes => null;
    protected abstract JsonTypeInfo<TResult> JsonType { get; }

    protected virtual void BindArguments(TOptions options, IReadOnlyList<string> positional)
    {
        if (positional.Count > 0)
            throw new LeakExtException($"{Name}: unexpected argument '{positional[0]}'; run '{Name} -h' for usage.");
    }

    protected abstract TResult Run(TOptions options, CommandContext context);

    public override IReadOnlyList<OptionInfo> OptionList =>
        [.. Options.Select(o => new OptionInfo(o.Name, o.ValueName)), new("json", null), new("h", null)];

    protected abstract void RenderText(TResult result, TextOutput output);

    public override void Invoke(IReadOnlyList<string> arguments, CommandContext context)
    {
        TOptions options = Parse(arguments);
        var text = new TextOutput(context.Output, context.CancellationToken);
        if (options.Help)
        {
            text.WriteLines(HelpText);
            return;
        }
        TResult result = Run(options, context);
        // JSON escapes control and non-ASCII characters itself (\u001b, \u202e): written as it is.
        if (options.Json)
            context.Output.Write(JsonSerializer.Serialize(result, JsonType) + "\n");
        else
            RenderText(result, text);
    }

    /// <summary>Parses arguments into typed options (public for tests and hosts that pre-validate).</summary>
    public TOptions Parse(IReadOnlyList<string> arguments)
    {
        var options = new TOptions();
        var positional = new List<string>();
        for (int i = 0; i < arguments.Count; i++)
        {
            string token = arguments[i];
            if (!LooksLikeOption(token))
            {
                positional.Add(token);
                continue;
            }
            string name = token.TrimStart('-');
            string? inlineValue = null;
            int equals = name.IndexOf('=');
            if (equals > 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }

            switch (name.ToLowerInvariant())
            {
                case "json":
                    options.Json = true;
                    continue;
                case "h" or "?" or "help":
                    options.Help = true;
                    continue;
            }

            OptionSpec<TOptions>? spec = Options.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new LeakExtException($"{Name}: unknown option '{token}'"
                    + Suggestions.DidYouMean(name, Options.Select(o => o.Name).Append("json"), "-") + $"; run '{Name} -h' for usage.");
            if (spec.IsFlag)
            {
                spec.Apply(options, "");
                continue;
            }
            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= arguments.Count)
                    throw new LeakExtException($"{Name}: -{spec.Name} needs a value ({spec.ValueName}).");
                value = arguments[++i];
            }
            spec.Apply(options, value);
        }

        if (!options.Help)
            BindArguments(options, positional);
        return options;
    }

    // "-5" style negative numbers are not options of ours; a lone "-" is not either.
    private static bool LooksLikeOption(string token) =>
        token.Length > 1 && token[0] == '-' && !char.IsDigit(token[1]);

    public override string HelpText
    {
        get
        {
            var text = new StringBuilder();
            text.Append("usage: ").Append(Name);
            foreach (ArgumentSpec argument in Arguments)
                text.Append(' ').Append(argument.Optional ? "[" : "").Append(argument.Name).Append(argument.Repeats ? "…" : "").Append(argument.Optional ? "]" : "");
            foreach (OptionSpec<TOptions> option in Options)
                text.Append(" [-").Append(option.Name).Append(option.ValueName is null ? "" : " " + option.ValueName).Append(']');
            text.Append(" [-json]\n\n").Append(Summary).Append("\n\n");

            var rows = new List<(string, string)>();
            foreach (ArgumentSpec argument in Arguments)
                rows.Add((argument.Name, argument.Help));
            foreach (OptionSpec<TOptions> option in Options)
                rows.Add(("-" + option.Name + (option.ValueName is null ? "" : " " + option.ValueName), option.Help));
            rows.Add(("-json", "print one JSON document instead of text (schema: docs/json.md)"));
            rows.Add(("-h, -?", "show this help"));
            int width = rows.Max(r => r.Item1.Length);
            foreach ((string left, string right) in rows)
                text.Append("  ").Append(left.PadRight(width)).Append("  ").Append(right).Append('\n');
            if (Notes is { } notes)
                text.Append('\n').Append(notes.TrimEnd()).Append('\n');
            return text.ToString();
        }
    }
}
