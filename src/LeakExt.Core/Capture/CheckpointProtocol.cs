namespace LeakExt.Core.Capture;

/// <summary>
/// How a target program tells a runner that it reached a checkpoint: it prints
/// <c>LEAKEXT-CHECKPOINT &lt;number&gt; &lt;label&gt; [pid=&lt;its process id&gt;]</c> on stdout, then waits
/// for one line on stdin. The pid matters when the program is not the runner's own child.
/// </summary>
public static class CheckpointProtocol
{
    public const string Prefix = "LEAKEXT-CHECKPOINT ";

    public static bool TryParse(string line, out int number, out string label) => TryParse(line, out number, out label, out _);

    public static bool TryParse(string line, out int number, out string label, out int? processId)
    {
        number = 0;
        label = "";
        processId = null;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        string rest = line[Prefix.Length..].Trim();
        int pidAt = rest.LastIndexOf(" pid=", StringComparison.Ordinal);
        if (pidAt > 0 && int.TryParse(rest[(pidAt + 5)..], out int pid))
        {
            processId = pid;
            rest = rest[..pidAt];
        }
        int space = rest.IndexOf(' ');
        string numberText = space < 0 ? rest : rest[..space];
        label = space < 0 ? "" : rest[(space + 1)..].Trim();
        return int.TryParse(numberText, out number);
    }
}
