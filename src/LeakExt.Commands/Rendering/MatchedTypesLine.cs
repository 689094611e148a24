using LeakExt.Commands.Framework;

namespace LeakExt.Commands.Rendering;

/// <summary>The one line every -type command prints: which types the argument chose (the first ten, then how many more).</summary>
public static class MatchedTypesLine
{
    private const int Listed = 10;

    public static void Write(TextOutput output, string? filter, IReadOnlyList<string>? types)
    {
        if (filter is null || types is null)
            return;
        string listed = string.Join(", ", types.Take(Listed)) + (types.Count > Listed ? $" and {Format.Number(types.Count - Listed)} more" : "");
        output.WriteLine($"-type '{filter}' matched {Format.Number(types.Count)} type{(types.Count == 1 ? "" : "s")}: {listed}");
    }
}
