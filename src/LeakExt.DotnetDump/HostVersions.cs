using System.Reflection;

namespace LeakExt.DotnetDump;

/// <summary>
/// The versions of the host's DebugServices and ClrMD against those this adapter was built with
/// (stamped by the build). Hosts resolve both to their own copies and refuse an extension of
/// another major version at load; within a major, a member the host's copy lacks surfaces when a
/// command runs, and is reported in one line with these versions.
/// </summary>
internal static class HostVersions
{
    /// <summary>The one-line error for a host of another major version, or null.</summary>
    public static string? Mismatch() => Mismatch(Built(), Loaded());

    internal static string? Mismatch(IReadOnlyDictionary<string, Version> built, IReadOnlyDictionary<string, Version> loaded)
    {
        foreach ((string name, Version version) in built)
            if (loaded.TryGetValue(name, out Version? host) && host.Major != version.Major)
                return $"LeakExt.DotnetDump was built for {name} {version.Major}.x, this host has {host}; use a host with {Describe(built)} (docs/hosts.md).";
        return null;
    }

    /// <summary>"built against … ; host has …", for errors.</summary>
    public static string Describe() => $"LeakExt.DotnetDump was built against {Describe(Built())}, this host has {Describe(Loaded())}";

    private static string Describe(IReadOnlyDictionary<string, Version> versions) =>
        string.Join(" and ", versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}"));

    private static Dictionary<string, Version> Built()
    {
        var built = new Dictionary<string, Version>(StringComparer.Ordinal);
        foreach (AssemblyMetadataAttribute attribute in typeof(HostVersions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
            if (attribute.Key.StartsWith("BuiltAgainst ", StringComparison.Ordinal) && Version.TryParse(attribute.Value, out Version? version))
                built[attribute.Key["BuiltAgainst ".Length..]] = version;
        return built;
    }

    /// <summary>The versions of the copies this adapter's code is bound to in this host.</summary>
    private static Dictionary<string, Version> Loaded()
    {
        var loaded = new Dictionary<string, Version>(StringComparer.Ordinal);
        foreach (Assembly assembly in new[] { typeof(Microsoft.Diagnostics.DebugServices.CommandBase).Assembly, typeof(Microsoft.Diagnostics.Runtime.ClrRuntime).Assembly })
            if (assembly.GetName() is { Name: { } name, Version: { } version })
                loaded[name] = version;
        return loaded;
    }
}
