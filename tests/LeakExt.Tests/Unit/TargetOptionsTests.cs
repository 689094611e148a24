using LeakExt.Core.Targets;

namespace LeakExt.Tests.Unit;

public sealed class TargetOptionsTests
{
    [Fact]
    public void Symbol_path_reaches_ClrMD_options()
    {
        // Servers go to ClrMD's downloader; folders (which it rejects as URIs) to our locator, behind the local runtimes.
        var options = LeakTarget.CreateOptions(SymbolPath.Parse("srv*/var/cache/syms*https://symbols.example/;/opt/dac"));
        Assert.Equal(["https://symbols.example/"], options.SymbolPaths);
        Assert.Equal("/var/cache/syms", options.SymbolCachePath);
        Assert.IsType<LocalRuntimeLocator>(options.FileLocator);
    }

    /// <summary>
    /// ClrMD 4.2 finds no local DAC for an ELF runtime: ours does, in the installed shared
    /// framework, when the id asked for is the DAC's own or its runtime's, and only then.
    /// </summary>
    [Fact]
    public void The_DAC_of_a_runtime_installed_here_is_found_by_build_id()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string framework = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        string dac = Path.Combine(framework, "libmscordaccore.so");
        byte[] runtimeId = ElfBuildId.Read(Path.Combine(framework, "libcoreclr.so"))!;
        byte[] dacId = ElfBuildId.Read(dac)!;
        Assert.Equal(20, runtimeId.Length);
        Assert.NotEqual(runtimeId, dacId);

        var locator = new LocalRuntimeLocator(next: () => null);
        var linux = System.Runtime.InteropServices.OSPlatform.Linux;
        var coreclr = Microsoft.Diagnostics.Runtime.SymbolProperties.Coreclr;
        Assert.Equal(Path.GetFullPath(dac), Path.GetFullPath(locator.FindPEImage("libmscordaccore.so", coreclr, [.. runtimeId], linux, false)!));
        Assert.Equal(Path.GetFullPath(dac), Path.GetFullPath(locator.FindPEImage("libmscordaccore.so", coreclr, [.. dacId], linux, false)!));
        byte[] otherBuild = [.. runtimeId];
        otherBuild[0] ^= 0xff;
        Assert.NotEqual(Path.GetFullPath(dac), locator.FindPEImage("libmscordaccore.so", coreclr, [.. otherBuild], linux, false) is { } found ? Path.GetFullPath(found) : null);
    }

    /// <summary>
    /// The DAC asks for an assembly the dump left out by the path it was loaded from: that file is
    /// taken when its time stamp and image size match, without making the symbol-server locator.
    /// </summary>
    [Fact]
    public void An_assembly_here_with_the_same_stamp_and_size_is_found_without_the_next_locator()
    {
        string path = typeof(object).Assembly.Location;
        using var reader = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(path));
        int stamp = reader.PEHeaders.CoffHeader.TimeDateStamp, size = reader.PEHeaders.PEHeader!.SizeOfImage;
        int asked = 0;
        var locator = new LocalRuntimeLocator(next: () => { asked++; return null; });

        Assert.Equal(path, locator.FindPEImage(path, stamp, size, checkProperties: true));
        Assert.Equal(0, asked);
        // Another build of it (a dump from elsewhere), or a name without its folder: the next locator's to find.
        Assert.Null(locator.FindPEImage(path, stamp + 1, size, checkProperties: true));
        Assert.Null(locator.FindPEImage(path, stamp, size + 4096, checkProperties: true));
        Assert.Null(locator.FindPEImage(Path.GetFileName(path), stamp, size, checkProperties: true));
        Assert.Equal(1, asked);
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
