namespace Generics;

/// <summary>What the Generics target builds (compiled into the tests too, which assert on it).</summary>
public static class Counts
{
    /// <summary>How many reference types of the core library make Pair&lt;X, String&gt; and Pair&lt;String, X&gt; instantiations.</summary>
    public const int CoreArguments = 40;

    /// <summary>Instances of every type the target makes (arrays and the dictionary included).</summary>
    public const int Each = 3;

    /// <summary>Pair instantiations: two per core argument, then the six of Program.Build.</summary>
    public const int PairTypes = 2 * CoreArguments + 6;
}
