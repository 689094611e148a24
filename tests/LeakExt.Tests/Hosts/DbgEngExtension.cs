using System.Runtime.InteropServices;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hosts;

/// <summary>
/// leakext.so loaded the way a debugger loads leakext.dll: DebugExtensionInitialize once, then
/// command exports by the name the user types, each given the engine's IDebugClient and the
/// argument text.
/// </summary>
internal sealed unsafe class DbgEngExtension
{
    private static readonly Lazy<DbgEngExtension> Loaded = new(() => new DbgEngExtension());
    private readonly nint _library;

    public static string LibraryPath => Path.Combine(Repository.Root, "artifacts", "windbg", "linux-x64", "leakext.so");

    /// <summary>Null where the shared library can be loaded, else why not, in one line.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64 ? "the DbgEng test host runs on Linux x64 only"
        : !ExternalTools.HasNativeLinker ? "no clang or gcc on PATH, so the NativeAOT extension leakext.so was not built (install clang; .ci/run does)"
        : !File.Exists(LibraryPath) ? $"{LibraryPath} was not built (building the test project publishes it)"
        : null;

    /// <summary>
    /// Why the tests that load the library are skipped here, or null. Where it can be built (Linux
    /// x64 with a native linker) it is built with the tests, so its absence there is a failure.
    /// </summary>
    public static string? SkipReason =>
        OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64 && ExternalTools.HasNativeLinker ? null : Unavailable;

    public static DbgEngExtension Instance => Loaded.Value;

    private DbgEngExtension()
    {
        _library = NativeLibrary.Load(LibraryPath);
        uint version = 0, flags = 0;
        int hr = ((delegate* unmanaged<uint*, uint*, int>)Export("DebugExtensionInitialize"))(&version, &flags);
        if (hr != 0)
            throw new InvalidOperationException($"DebugExtensionInitialize failed: 0x{hr:X8}");
        Version = version;
    }

    /// <summary>What `.unload leakext` then `.load leakext` does: the extension forgets its snapshots and target.</summary>
    public void Reload()
    {
        ((delegate* unmanaged<void>)Export("DebugExtensionUninitialize"))();
        uint version = 0, flags = 0;
        int hr = ((delegate* unmanaged<uint*, uint*, int>)Export("DebugExtensionInitialize"))(&version, &flags);
        if (hr != 0)
            throw new InvalidOperationException($"DebugExtensionInitialize failed: 0x{hr:X8}");
    }

    /// <summary>The version DebugExtensionInitialize reported (DEBUG_EXTENSION_VERSION(major, minor)).</summary>
    public uint Version { get; }

    public nint Export(string name) => NativeLibrary.GetExport(_library, name);

    public bool HasExport(string name) => NativeLibrary.TryGetExport(_library, name, out _);

    /// <summary>Runs "!name arguments" and returns the HRESULT, as the debugger does.</summary>
    public int Run(FakeDebugEngine engine, string name, string arguments = "")
    {
        engine.BindToCurrentThread();
        nint text = Marshal.StringToCoTaskMemUTF8(arguments);
        try
        {
            return ((delegate* unmanaged<nint, nint, int>)Export(name))(engine.Client, text);
        }
        finally
        {
            Marshal.FreeCoTaskMem(text);
        }
    }

    /// <summary>What the engine tells extensions when the target runs (`g`) and stops again.</summary>
    public void NotifyRunAndBreak()
    {
        var notify = (delegate* unmanaged<uint, ulong, void>)Export("DebugExtensionNotify");
        notify(3, 0); // DEBUG_NOTIFY_SESSION_INACCESSIBLE
        notify(2, 0); // DEBUG_NOTIFY_SESSION_ACCESSIBLE
    }
}
