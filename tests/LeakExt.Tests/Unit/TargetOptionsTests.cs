using LeakExt.Core.Targets;

namespace LeakExt.Tests.Unit;

public sealed class TargetOptionsTests
{
    [Fact]
    public void Symbol_path_reaches_ClrMD_options()
    {
        // Servers go to ClrMD's downloader; folders (which it rejects as URIs) to our locator.
        var options = LeakTarget.CreateOptions(SymbolPath.Parse("srv*/var/cache/syms*https://symbols.example/;/opt/dac"));
        Assert.Equal(["https://symbols.example/"], options.SymbolPaths);
        Assert.Equal("/var/cache/syms", options.SymbolCachePath);
        Assert.IsType<FolderFileLocator>(options.FileLocator);
    }

    [Fact]
    public void Folders_of_the_symbol_path_are_searched_flat_and_in_symbol_store_layout()
    {
        string root = Path.Combine(Path.GetTempPath(), "leakext-symbols-" + Guid.NewGuid().ToString("N"));
        try
        {
            string flat = Path.Combine(root, "flat");
            string store = Path.Combine(root, "store");
            Directory.CreateDirectory(flat);
            Directory.CreateDirectory(Path.Combine(store, "libmscordaccore.so", "elf-buildid-coreclr-0a0b0c", ""));
            Directory.CreateDirectory(Path.Combine(store, "mscordaccore.dll", "5F3A2B1C1e000"));
            File.WriteAllText(Path.Combine(flat, "libmscordbi.so"), "x");
            File.WriteAllText(Path.Combine(store, "libmscordaccore.so", "elf-buildid-coreclr-0a0b0c", "libmscordaccore.so"), "x");
            File.WriteAllText(Path.Combine(store, "mscordaccore.dll", "5F3A2B1C1e000", "mscordaccore.dll"), "x");

            var options = LeakTarget.CreateOptions(SymbolPath.Parse($"{flat};cache*{store};{store}"));
            var locator = options.FileLocator!;
            Assert.Equal(Path.Combine(store, "libmscordaccore.so", "elf-buildid-coreclr-0a0b0c", "libmscordaccore.so"),
                locator.FindPEImage("libmscordaccore.so", Microsoft.Diagnostics.Runtime.SymbolProperties.Coreclr, [0x0a, 0x0b, 0x0c], System.Runtime.InteropServices.OSPlatform.Linux, false));
            Assert.Equal(Path.Combine(flat, "libmscordbi.so"),
                locator.FindPEImage("libmscordbi.so", Microsoft.Diagnostics.Runtime.SymbolProperties.None, [1], System.Runtime.InteropServices.OSPlatform.Linux, false));
            Assert.Equal(Path.Combine(store, "mscordaccore.dll", "5F3A2B1C1e000", "mscordaccore.dll"),
                locator.FindPEImage("mscordaccore.dll", 0x5F3A2B1C, 0x1e000, false));
            // Nothing found and no server to ask.
            Assert.Null(locator.FindPEImage("missing.dll", 1, 2, false));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
