namespace LeakExt.Tests.Infrastructure;

internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration these tests were built in (their output folder's parent: bin/CONFIGURATION/net10.0).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DbgLeakExt.sln")))
                return dir.FullName;
        throw new InvalidOperationException("DbgLeakExt.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TargetProgram(string name)
    {
        string path = Path.Combine(Root, "artifacts", "targets", name, name + ".dll");
        if (!File.Exists(path))
            throw new InvalidOperationException($"test target {name} is not built ({path}); run ./build.sh build first.");
        return path;
    }
}
