namespace HostileNames;

/// <summary>The names the HostileNames target gives its types and field, and how many of each it keeps; the tests compile this file too.</summary>
public static class Names
{
    public const int ChainLength = 100_000;

    /// <summary>The field every hostile type has, pointing at its payload: an SGR escape, CR and an RTL override.</summary>
    public const string Field = "next\u001b[31m\r\u202E";

    /// <summary>1,000 characters, mostly L: what a backtracking '*L*L*L*X' chokes on.</summary>
    public static readonly string LongName = "Hostile.Long" + new string('L', 1000 - "Hostile.Long".Length - 2) + "Q9";

    public static readonly (string Name, int Count)[] Types =
    [
        ("Hostile.Title\u001b]0;pwned\u0007", 1),
        ("Hostile.Clear\u001b[2J", 2),
        ("Hostile.Carriage\rOverwrite", 3),
        ("Hostile.Reversed\u202Etxt.exe", 4),
        ("Hostile.Marks\u200E\u2066x\u2069", 5),
        ("Hostile.Pipe|Star*Name", 6),
        (LongName, 7),
    ];
}
