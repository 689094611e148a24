using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LeakExt.Core;
using LeakExt.Core.Targets;
using MemoryRegion = LeakExt.Core.Targets.MemoryRegion;
using LeakExt.WinDbg.Interop;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.DataReaders.Implementation;

namespace LeakExt.WinDbg;

/// <summary>
/// ClrMD's view of the debugger's target: memory, modules, threads and register contexts all
/// come from DbgEng (so a live target, a Windows minidump or a Linux core read the same way).
/// The engine connection is swapped at each command, because a client is valid only during its call.
/// </summary>
internal sealed unsafe class DbgEngDataReader : IDataReader, IThreadReader
{
    private readonly EngineDispatcher _dispatcher;
    private DebugEngine _engine;

    public DbgEngDataReader(DebugEngine engine, EngineDispatcher dispatcher)
    {
        _engine = engine;
        _dispatcher = dispatcher;
        (PointerSize, Architecture) = dispatcher.Invoke(() => (engine.IsPointer64Bit() ? 8 : 4, ToArchitecture(engine.GetActualProcessorType())));
        ProcessId = (int)dispatcher.Invoke(engine.GetCurrentProcessSystemId);
        TargetPlatform = DetectPlatform();
    }

    /// <summary>Points the reader at the current command's engine interfaces.</summary>
    public void Reconnect(DebugEngine engine) => _engine = engine;

    public string DisplayName => "debugger target";
    public bool IsThreadSafe => true;
    public OSPlatform TargetPlatform { get; }
    public Architecture Architecture { get; }
    public int ProcessId { get; }
    public int PointerSize { get; }

    public IEnumerable<ModuleInfo> EnumerateModules() => _dispatcher.Invoke(() =>
    {
        DebugEngine engine = _engine;
        var modules = new List<ModuleInfo>();
        uint count = engine.GetNumberModules();
        for (uint i = 0; i < count; i++)
        {
            ulong moduleBase = engine.GetModuleByIndex(i);
            string name = engine.GetModuleImageName(moduleBase);
            DebugModuleParameters parameters = engine.GetModuleParameters(moduleBase);
            // Null for a module whose headers are not in memory (or not PE, ELF or Mach-O): ClrMD cannot use it.
            if (ModuleInfo.TryCreate(this, moduleBase, name, (int)parameters.Size, (int)parameters.TimeDateStamp, null, null) is { } module)
                modules.Add(module);
        }
        return modules;
    });

    public bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context)
    {
        // Spans cannot cross to the engine thread: copy through an array.
        byte[] buffer = new byte[context.Length];
        bool found = false;
        _dispatcher.Invoke(() => _engine.WithCurrentThread(threadID, () => found = _engine.GetThreadContext(buffer)));
        if (found)
            buffer.CopyTo(context);
        return found;
    }

    public IEnumerable<uint> EnumerateOSThreadIds() => _dispatcher.Invoke(_engine.GetThreadSystemIds);

    public ulong GetThreadTeb(uint osThreadId)
    {
        ulong teb = 0;
        _dispatcher.Invoke(() => _engine.WithCurrentThread(osThreadId, () => teb = _engine.GetCurrentThreadTebAddress()));
        return teb;
    }

    public void FlushCachedData()
    {
    }

    public int Read(ulong address, Span<byte> buffer)
    {
        if (_dispatcher.OnEngineThread)
            return _engine.ReadVirtual(address, buffer);
        fixed (byte* pointer = buffer)
        {
            nint target = (nint)pointer;
            int length = buffer.Length;
            return _dispatcher.Invoke(() => _engine.ReadVirtual(address, new Span<byte>((void*)target, length)));
        }
    }

    public bool Read<T>(ulong address, out T value) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[sizeof(T)];
        if (Read(address, buffer) == buffer.Length)
        {
            value = Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(buffer));
            return true;
        }
        value = default;
        return false;
    }

    public T Read<T>(ulong address) where T : unmanaged => Read(address, out T value) ? value : default;

    public bool ReadPointer(ulong address, out ulong value)
    {
        if (PointerSize == 8)
            return Read(address, out value);
        bool ok = Read(address, out uint narrow);
        value = narrow;
        return ok;
    }

    public ulong ReadPointer(ulong address) => ReadPointer(address, out ulong value) ? value : 0;

    /// <summary>The regions of the address space the debugger reports as committed, for memory by region kind.</summary>
    public List<MemoryRegion>? ReadCommittedRegions() => _dispatcher.Invoke(() =>
    {
        var regions = new List<MemoryRegion>();
        ulong address = 0;
        while (_engine.QueryVirtual(address, out MemoryBasicInformation64 info))
        {
            ulong end = info.BaseAddress + info.RegionSize;
            if (info.RegionSize == 0 || end <= address)
                break;
            if (info.State == DbgEngApi.MEM_COMMIT)
            {
                var kind = info.Type switch
                {
                    DbgEngApi.MEM_IMAGE => MemoryRegionKind.Image,
                    DbgEngApi.MEM_MAPPED => MemoryRegionKind.Mapped,
                    _ => MemoryRegionKind.Private,
                };
                regions.Add(new MemoryRegion(info.BaseAddress, info.RegionSize, kind));
            }
            address = end;
        }
        return regions.Count > 0 ? regions : null;
    });

    private static Architecture ToArchitecture(ushort machine) => machine switch
    {
        DbgEngApi.IMAGE_FILE_MACHINE_AMD64 => Architecture.X64,
        DbgEngApi.IMAGE_FILE_MACHINE_ARM64 => Architecture.Arm64,
        DbgEngApi.IMAGE_FILE_MACHINE_I386 => Architecture.X86,
        DbgEngApi.IMAGE_FILE_MACHINE_ARMNT => Architecture.Arm,
        _ => throw new LeakExtException($"the target's processor (machine type 0x{machine:X4}) is not one .NET runs on."),
    };

    /// <summary>The target's OS, from its first module's file format: ELF is Linux, Mach-O is macOS, PE is Windows.</summary>
    private OSPlatform DetectPlatform()
    {
        ulong firstModule = _dispatcher.Invoke(() => _engine.GetNumberModules() > 0 ? _engine.GetModuleByIndex(0) : 0);
        if (firstModule == 0 || !Read(firstModule, out uint magic))
            return OSPlatform.Windows;
        return magic switch
        {
            0x464C457F => OSPlatform.Linux,
            0xFEEDFACF or 0xFEEDFACE => OSPlatform.OSX,
            _ => OSPlatform.Windows,
        };
    }
}
