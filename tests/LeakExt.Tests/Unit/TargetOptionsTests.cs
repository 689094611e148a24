using LeakExt.Core.Targets;

namespace LeakExt.Tests.Unit;

public sealed class TargetOptionsTests
{
    [Fact]
    public void Symbol_path_reaches_ClrMD_options()
    {
        var options = LeakTarget.CreateOptions(SymbolPath.Parse("srv*/var/cache/syms*https://symbols.example/;/opt/dac"));
        Assert.Equal(["/var/cache/syms", "https://symbols.example/", "/opt/dac"], options.SymbolPaths);
        Assert.Equal("/var/cache/syms", options.SymbolCachePath);
    }

    [Fact]
    public void Explicit_symbol_path_wins_over_the_environment()
    {
        string? saved = Environment.GetEnvironmentVariable(SymbolPath.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(SymbolPath.EnvironmentVariable, "srv*https://from-env.example/");
            Assert.Equal(["https://from-env.example/"], SymbolPath.Resolve(null)!.Locations);
            Assert.Equal(["/explicit"], SymbolPath.Resolve("/explicit")!.Locations);
        }
        finally
        {
            Environment.SetEnvironmentVariable(SymbolPath.EnvironmentVariable, saved);
        }
    }
}
