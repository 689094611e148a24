namespace LeakExt.Core.Capture;

/// <summary>
/// How a target program tells a runner that it reached a checkpoint: it prints
/// <c>LEAKEXT-CHECKPOINT &lt;number&gt; &lt;label&gt;</c> on stdout, then waits for one line on stdin.
/// </summary>
public static class CheckpointProtocol
{
    public const string Prefix = "LEAKEXT-CHECKPOINT ";

    public static bool TryParse(string line, out int number, out string label)
    {
        number = 0;
        label = "";
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        string rest = line[Prefix.Length..].Trim();
        int space = rest.IndexOf(' ');
        string numberText = space < 0 ? rest : rest[..space];
        label = space < 0 ? "" : rest[(space + 1)..].Trim();
        return int.TryParse(numberText, out number);
    }
}
