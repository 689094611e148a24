namespace LeakExt.Core.Targets;

/// <summary>
/// A debugger symbol path (<c>_NT_SYMBOL_PATH</c> syntax) turned into what ClrMD needs to find
/// the runtime's DAC: a list of servers or folders, and a download cache.
/// Elements are separated by ';'. <c>srv*CACHE*SERVER</c>, <c>srv*SERVER</c>, <c>symsrv*symsrv.dll*CACHE*SERVER</c>,
/// <c>cache*DIR</c> and plain folders are understood.
/// </summary>
public sealed record SymbolPath(IReadOnlyList<string> Locations, string? CachePath)
{
    public const string EnvironmentVariable = "_NT_SYMBOL_PATH";

    /// <summary>The symbol servers: HTTP(S) addresses.</summary>
    public IEnumerable<string> Servers => Locations.Where(IsServer);

    /// <summary>The local (or UNC) folders, searched flat and in symbol-store layout.</summary>
    public IEnumerable<string> Folders => Locations.Where(l => !IsServer(l));

    private static bool IsServer(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public static SymbolPath? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;

        var locations = new List<string>();
        string? cache = null;
        foreach (string rawElement in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = rawElement.Split('*');
            string head = parts[0].ToLowerInvariant();
            if (head is "srv" or "symsrv")
            {
                // symsrv*symsrv.dll*CACHE*SERVER: drop the dll name.
                string[] rest = head == "symsrv" ? parts.Skip(2).ToArray() : parts.Skip(1).ToArray();
                rest = rest.Where(p => p.Length > 0).ToArray();
                if (rest.Length == 0)
                    continue;
                for (int i = 0; i < rest.Length - 1; i++)
                {
                    cache ??= rest[i];
                    locations.Add(rest[i]);
                }
                locations.Add(rest[^1]);
            }
            else if (head == "cache")
            {
                if (parts.Length > 1 && parts[1].Length > 0)
                    cache ??= parts[1];
            }
            else
            {
                locations.Add(rawElement);
            }
        }

        return locations.Count == 0 && cache is null ? null : new SymbolPath(locations.Distinct().ToArray(), cache);
    }

    /// <summary>The explicit path if given, otherwise <c>_NT_SYMBOL_PATH</c>, otherwise null (ClrMD's default).</summary>
    public static SymbolPath? Resolve(string? explicitPath) =>
        Parse(explicitPath) ?? Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
}
