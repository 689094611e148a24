using System.Runtime.InteropServices;
using System.Text;
using LeakExt.Core.Targets;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.DataReaders.Implementation;

namespace LeakExt.Tests.Hosts;

/// <summary>
/// A stand-in for the Windows debugger engine, for loading leakext.so here: an IDebugClient
/// with real COM vtables (IDebugControl4, IDebugDataSpaces2, IDebugSymbols, IDebugSystemObjects,
/// IDebugAdvanced) that serves a real dump's memory, modules, threads, register contexts and
/// regions, a symbol path, and captures output. Like DbgEng it accepts calls only on the thread
/// that called the extension, and counts calls from any other thread as violations.
/// Slots are written from dbgeng.h independently of the extension's own table, so a wrong slot
/// on either side makes the tests fail rather than agree by construction.
/// </summary>
internal sealed unsafe class FakeDebugEngine : IDisposable
{
    // dbgeng.h, counted from 0 (IUnknown is 0-2).
    private const int ControlSlots = 160, DataSpacesSlots = 40, SymbolsSlots = 60, SystemObjectsSlots = 40, AdvancedSlots = 5;

    private static readonly Guid IID_IUnknown = new("00000000-0000-0000-c000-000000000046");
    private static readonly Guid IID_IDebugClient = new("27fe5639-8407-4f47-8364-ee118fb08ac8");
    private static readonly Guid IID_IDebugControl4 = new("94e60ce9-9b41-4b19-9fc0-6d9eb35272b3");
    private static readonly Guid IID_IDebugDataSpaces2 = new("7a5e852f-96e9-468f-ac1b-0b3addc4a049");
    private static readonly Guid IID_IDebugSymbols = new("8c31e98c-983a-48a5-9016-6fe5d667a950");
    private static readonly Guid IID_IDebugSystemObjects = new("6b86fe2c-2c4f-4f0c-9da2-174311acc327");
    private static readonly Guid IID_IDebugAdvanced = new("f2df5f53-071f-47bd-9de6-5734c3fed689");

    private const int S_OK = 0, S_FALSE = 1;
    private const int E_NOINTERFACE = unchecked((int)0x80004002), E_FAIL = unchecked((int)0x80004005), E_NOTIMPL = unchecked((int)0x80004001);
    private const int E_UNEXPECTED = unchecked((int)0x8000FFFF);

    private readonly GCHandle _self;
    private readonly List<nint> _allocations = new();
    private readonly Dictionary<Guid, nint> _interfaces = new();
    private readonly StringBuilder _normal = new();
    private readonly StringBuilder _errors = new();
    private readonly StringBuilder _warnings = new();
    private DataTarget _dump = null!;
    private uint[] _threads = [];
    private List<(ulong Start, ulong End, uint Type)> _regions = new();
    private uint _currentThread;
    private int _ownerThread = Environment.CurrentManagedThreadId;

    public FakeDebugEngine(string dumpPath, string symbolPath = "")
    {
        SymbolPath = symbolPath;
        _self = GCHandle.Alloc(this);
        Client = MakeObject(IID_IDebugClient, 48, _ => { });
        _interfaces[IID_IUnknown] = Client;
        MakeObject(IID_IDebugControl4, ControlSlots, v =>
        {
            v[3] = (nint)(delegate* unmanaged<nint, int>)&GetInterrupt;
            v[34] = (nint)(delegate* unmanaged<nint, uint*, uint*, int>)&GetDebuggeeType;
            v[35] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetActualProcessorType;
            v[42] = (nint)(delegate* unmanaged<nint, int>)&IsPointer64Bit;
            v[53] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetEngineOptions;
            v[95] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetCurrentTimeDate;
            v[122] = (nint)(delegate* unmanaged<nint, uint, uint, char*, char*, int>)&ControlledOutputWide;
        });
        MakeObject(IID_IDebugDataSpaces2, DataSpacesSlots, v =>
        {
            v[3] = (nint)(delegate* unmanaged<nint, ulong, byte*, uint, uint*, int>)&ReadVirtual;
            v[28] = (nint)(delegate* unmanaged<nint, ulong, MemoryInfo*, int>)&QueryVirtual;
        });
        MakeObject(IID_IDebugSymbols, SymbolsSlots, v =>
        {
            v[12] = (nint)(delegate* unmanaged<nint, uint*, uint*, int>)&GetNumberModules;
            v[13] = (nint)(delegate* unmanaged<nint, uint, ulong*, int>)&GetModuleByIndex;
            v[16] = (nint)(delegate* unmanaged<nint, uint, ulong, byte*, uint, uint*, byte*, uint, uint*, byte*, uint, uint*, int>)&GetModuleNames;
            v[17] = (nint)(delegate* unmanaged<nint, uint, ulong*, uint, ModuleParameters*, int>)&GetModuleParameters;
            v[40] = (nint)(delegate* unmanaged<nint, byte*, uint, uint*, int>)&GetSymbolPath;
        });
        MakeObject(IID_IDebugSystemObjects, SystemObjectsSlots, v =>
        {
            v[5] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetCurrentThreadId;
            v[6] = (nint)(delegate* unmanaged<nint, uint, int>)&SetCurrentThreadId;
            v[9] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetNumberThreads;
            v[11] = (nint)(delegate* unmanaged<nint, uint, uint, uint*, uint*, int>)&GetThreadIdsByIndex;
            v[15] = (nint)(delegate* unmanaged<nint, ulong*, int>)&GetCurrentThreadTebAddress;
            v[18] = (nint)(delegate* unmanaged<nint, uint, uint*, int>)&GetThreadIdBySystemId;
            v[27] = (nint)(delegate* unmanaged<nint, uint*, int>)&GetCurrentProcessSystemId;
        });
        MakeObject(IID_IDebugAdvanced, AdvancedSlots, v =>
        {
            v[3] = (nint)(delegate* unmanaged<nint, byte*, uint, int>)&GetThreadContext;
        });
        SwitchTo(dumpPath);
    }

    /// <summary>The IDebugClient pointer to hand the extension.</summary>
    public nint Client { get; }

    public string SymbolPath { get; set; }
    public bool PreferDml { get; set; }

    /// <summary>Presents the target as a live process (the engine attached to it) rather than a dump.</summary>
    public bool LiveTarget { get; set; }

    public int ProcessId => _dump.DataReader.ProcessId;
    public bool InterruptRequested { get; set; }
    public string DumpPath { get; private set; } = "";

    /// <summary>Calls that arrived on a thread other than the one that called the extension.</summary>
    public int ThreadViolations { get; private set; }

    /// <summary>Calls to slots the fake does not implement (the extension should never make them).</summary>
    public int UnimplementedCalls { get; private set; }

    /// <summary>References the extension holds on our interfaces (QueryInterface'd minus released).</summary>
    public int OutstandingReferences { get; private set; }

    public int ReadCalls { get; private set; }

    public int SymbolPathReads { get; private set; }

    /// <summary>Output written with DEBUG_OUTPUT_NORMAL / ERROR / WARNING since the last <see cref="TakeOutput"/>.</summary>
    public (string Normal, string Errors, string Warnings) TakeOutput()
    {
        var result = (_normal.ToString(), _errors.ToString(), _warnings.ToString());
        _normal.Clear();
        _errors.Clear();
        _warnings.Clear();
        return result;
    }

    /// <summary>What the engine does on `g` to the next breakpoint: the target now shows another moment (the next dump).</summary>
    public void SwitchTo(string dumpPath)
    {
        _dump?.Dispose();
        DumpPath = dumpPath;
        _dump = DataTarget.LoadDump(dumpPath);
        _threads = ((IThreadReader)_dump.DataReader).EnumerateOSThreadIds().ToArray();
        _currentThread = 0;
        _regions = Regions(ElfCoreFile.Read(dumpPath));
    }

    /// <summary>A debugger without this interface (an older or a different engine): QueryInterface answers E_NOINTERFACE.</summary>
    public void Withhold(Guid iid) => _interfaces.Remove(iid);

    public static Guid AdvancedInterface => IID_IDebugAdvanced;

    /// <summary>The engine's thread for the next call into the extension (DbgEng's threading rule).</summary>
    public void BindToCurrentThread() => _ownerThread = Environment.CurrentManagedThreadId;

    /// <summary>
    /// The dump's loaded segments as committed regions, split where file mappings begin and end:
    /// pieces inside a mapped file are MEM_MAPPED, the rest MEM_PRIVATE.
    /// </summary>
    private static List<(ulong, ulong, uint)> Regions(ElfCoreFile core)
    {
        const uint MemPrivate = 0x20000, MemMapped = 0x40000;
        var files = core.MappedFiles.Select(f => (f.Start, f.End)).OrderBy(f => f.Start).ToList();
        var regions = new List<(ulong, ulong, uint)>();
        foreach (ElfCoreFile.LoadSegment segment in core.Segments)
        {
            ulong start = segment.VirtualAddress, end = segment.VirtualAddress + segment.MemorySize;
            var cuts = new SortedSet<ulong> { start, end };
            foreach ((ulong fs, ulong fe) in files)
            {
                if (fs > start && fs < end) cuts.Add(fs);
                if (fe > start && fe < end) cuts.Add(fe);
            }
            ulong[] points = cuts.ToArray();
            for (int i = 0; i + 1 < points.Length; i++)
            {
                ulong from = points[i], to = points[i + 1];
                bool mapped = files.Any(f => f.Start <= from && to <= f.End);
                regions.Add((from, to, mapped ? MemMapped : MemPrivate));
            }
        }
        regions.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return regions;
    }

    private nint MakeObject(Guid iid, int slots, Action<nint[]> fill)
    {
        var vtable = new nint[slots];
        vtable[0] = (nint)(delegate* unmanaged<nint, Guid*, nint*, int>)&QueryInterface;
        vtable[1] = (nint)(delegate* unmanaged<nint, uint>)&AddRef;
        vtable[2] = (nint)(delegate* unmanaged<nint, uint>)&Release;
        for (int i = 3; i < slots; i++)
            vtable[i] = (nint)(delegate* unmanaged<nint, int>)&Unimplemented;
        fill(vtable);

        nint table = (nint)NativeMemory.Alloc((nuint)(slots * sizeof(nint)));
        new ReadOnlySpan<nint>(vtable).CopyTo(new Span<nint>((void*)table, slots));
        // The object: [vtable pointer, GCHandle to this fake].
        var obj = (nint*)NativeMemory.Alloc((nuint)(2 * sizeof(nint)));
        obj[0] = table;
        obj[1] = GCHandle.ToIntPtr(_self);
        _allocations.Add(table);
        _allocations.Add((nint)obj);
        _interfaces[iid] = (nint)obj;
        return (nint)obj;
    }

    public void Dispose()
    {
        _dump?.Dispose();
        foreach (nint allocation in _allocations)
            NativeMemory.Free((void*)allocation);
        _allocations.Clear();
        if (_self.IsAllocated)
            _self.Free();
    }

    private static FakeDebugEngine Self(nint pointer) => (FakeDebugEngine)GCHandle.FromIntPtr(((nint*)pointer)[1]).Target!;

    /// <summary>Runs one engine method: on the wrong thread it fails the way DbgEng's rule says it may.</summary>
    private static int Call(nint self, Func<FakeDebugEngine, int> body)
    {
        FakeDebugEngine engine = Self(self);
        if (Environment.CurrentManagedThreadId != engine._ownerThread)
        {
            engine.ThreadViolations++;
            return E_UNEXPECTED;
        }
        try
        {
            return body(engine);
        }
        catch (Exception)
        {
            return E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int QueryInterface(nint self, Guid* iid, nint* result) => Call(self, engine =>
    {
        if (!engine._interfaces.TryGetValue(*iid, out nint pointer))
        {
            *result = 0;
            return E_NOINTERFACE;
        }
        *result = pointer;
        engine.OutstandingReferences++;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static uint AddRef(nint self) => (uint)Call(self, engine => ++engine.OutstandingReferences);

    [UnmanagedCallersOnly]
    private static uint Release(nint self) => (uint)Call(self, engine => --engine.OutstandingReferences);

    [UnmanagedCallersOnly]
    private static int Unimplemented(nint self) => Call(self, engine =>
    {
        engine.UnimplementedCalls++;
        return E_NOTIMPL;
    });

    // IDebugControl4

    [UnmanagedCallersOnly]
    private static int GetInterrupt(nint self) => Call(self, engine => engine.InterruptRequested ? S_OK : S_FALSE);

    [UnmanagedCallersOnly]
    private static int GetDebuggeeType(nint self, uint* debuggeeClass, uint* qualifier) => Call(self, engine =>
    {
        *debuggeeClass = 2;                           // DEBUG_CLASS_USER_WINDOWS
        *qualifier = engine.LiveTarget ? 0u : 1026u;  // DEBUG_USER_WINDOWS_PROCESS or DEBUG_DUMP_FULL
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetActualProcessorType(nint self, uint* type) => Call(self, _ =>
    {
        *type = 0x8664; // IMAGE_FILE_MACHINE_AMD64
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int IsPointer64Bit(nint self) => Call(self, engine => engine._dump.DataReader.PointerSize == 8 ? S_OK : S_FALSE);

    [UnmanagedCallersOnly]
    private static int GetEngineOptions(nint self, uint* options) => Call(self, engine =>
    {
        *options = engine.PreferDml ? 0x00040000u : 0u; // DEBUG_ENGOPT_PREFER_DML
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetCurrentTimeDate(nint self, uint* seconds) => Call(self, engine =>
    {
        *seconds = (uint)new DateTimeOffset(File.GetLastWriteTimeUtc(engine.DumpPath), TimeSpan.Zero).ToUnixTimeSeconds();
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int ControlledOutputWide(nint self, uint outputControl, uint mask, char* format, char* text) => Call(self, engine =>
    {
        if (new string(format) != "%ws")
            throw new InvalidOperationException("the extension must not pass text as a format");
        string body = new(text);
        if (outputControl == 0xFFFFFFFE != engine.PreferDml && mask == 1)
            throw new InvalidOperationException("DML output must follow the engine's preference");
        (mask switch { 2 => engine._errors, 4 => engine._warnings, _ => engine._normal }).Append(body);
        return S_OK;
    });

    // IDebugDataSpaces2

    [UnmanagedCallersOnly]
    private static int ReadVirtual(nint self, ulong address, byte* buffer, uint size, uint* bytesRead) => Call(self, engine =>
    {
        engine.ReadCalls++;
        int read = engine._dump.DataReader.Read(address, new Span<byte>(buffer, (int)size));
        if (bytesRead != null)
            *bytesRead = (uint)Math.Max(0, read);
        return read > 0 ? S_OK : E_FAIL;
    });

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryInfo
    {
        public ulong BaseAddress, AllocationBase;
        public uint AllocationProtect, Alignment1;
        public ulong RegionSize;
        public uint State, Protect, Type, Alignment2;
    }

    /// <summary>The region holding <paramref name="address"/>, or else the next one above it (as the engine answers).</summary>
    [UnmanagedCallersOnly]
    private static int QueryVirtual(nint self, ulong address, MemoryInfo* info) => Call(self, engine =>
    {
        foreach ((ulong start, ulong end, uint type) in engine._regions)
        {
            if (end <= address)
                continue;
            *info = new MemoryInfo { BaseAddress = start, AllocationBase = start, RegionSize = end - start, State = 0x1000, Protect = 0x04, Type = type };
            return S_OK;
        }
        return E_NOINTERFACE;
    });

    // IDebugSymbols

    private ModuleInfo[] Modules => _dump.DataReader.EnumerateModules().OrderBy(m => m.ImageBase).ToArray();

    [UnmanagedCallersOnly]
    private static int GetNumberModules(nint self, uint* loaded, uint* unloaded) => Call(self, engine =>
    {
        *loaded = (uint)engine.Modules.Length;
        *unloaded = 0;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetModuleByIndex(nint self, uint index, ulong* moduleBase) => Call(self, engine =>
    {
        ModuleInfo[] modules = engine.Modules;
        if (index >= modules.Length)
            return E_FAIL;
        *moduleBase = modules[index].ImageBase;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetModuleNames(nint self, uint index, ulong moduleBase, byte* image, uint imageCapacity, uint* imageSize,
        byte* module, uint moduleCapacity, uint* moduleSize, byte* loaded, uint loadedCapacity, uint* loadedSize) => Call(self, engine =>
    {
        ModuleInfo? info = index == 0xFFFFFFFF ? engine.Modules.FirstOrDefault(m => m.ImageBase == moduleBase) : null;
        if (info is null)
            return E_FAIL;
        string path = info.FileName ?? "";
        WriteAnsi(path, image, imageCapacity, imageSize);
        WriteAnsi(Path.GetFileNameWithoutExtension(path), module, moduleCapacity, moduleSize);
        WriteAnsi(path, loaded, loadedCapacity, loadedSize);
        return S_OK;
    });

    [StructLayout(LayoutKind.Sequential)]
    private struct ModuleParameters
    {
        public ulong Base;
        public uint Size, TimeDateStamp, Checksum, Flags, SymbolType, ImageNameSize, ModuleNameSize, LoadedImageNameSize, SymbolFileNameSize, MappedImageNameSize;
        public ulong Reserved0, Reserved1;
    }

    [UnmanagedCallersOnly]
    private static int GetModuleParameters(nint self, uint count, ulong* bases, uint start, ModuleParameters* parameters) => Call(self, engine =>
    {
        if (bases == null)
            return E_NOTIMPL;
        for (uint i = 0; i < count; i++)
        {
            ModuleInfo? info = engine.Modules.FirstOrDefault(m => m.ImageBase == bases[i]);
            if (info is null)
                return E_FAIL;
            parameters[i] = new ModuleParameters
            {
                Base = info.ImageBase,
                Size = (uint)info.ImageSize,
                TimeDateStamp = (uint)info.IndexTimeStamp,
                ImageNameSize = (uint)(info.FileName?.Length ?? 0) + 1,
            };
        }
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetSymbolPath(nint self, byte* buffer, uint capacity, uint* size) => Call(self, engine =>
    {
        engine.SymbolPathReads++;
        WriteAnsi(engine.SymbolPath, buffer, capacity, size);
        return S_OK;
    });

    private static void WriteAnsi(string text, byte* buffer, uint capacity, uint* size)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
        if (size != null)
            *size = (uint)bytes.Length;
        if (buffer != null && capacity > 0)
        {
            int take = (int)Math.Min(capacity, (uint)bytes.Length);
            bytes.AsSpan(0, take).CopyTo(new Span<byte>(buffer, take));
            buffer[take - 1] = 0;
        }
    }

    // IDebugSystemObjects: engine thread ids are indices into the dump's thread list.

    [UnmanagedCallersOnly]
    private static int GetCurrentThreadId(nint self, uint* id) => Call(self, engine =>
    {
        *id = engine._currentThread;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int SetCurrentThreadId(nint self, uint id) => Call(self, engine =>
    {
        if (id >= engine._threads.Length)
            return E_FAIL;
        engine._currentThread = id;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetNumberThreads(nint self, uint* count) => Call(self, engine =>
    {
        *count = (uint)engine._threads.Length;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetThreadIdsByIndex(nint self, uint start, uint count, uint* ids, uint* systemIds) => Call(self, engine =>
    {
        if (start + count > engine._threads.Length)
            return E_FAIL;
        for (uint i = 0; i < count; i++)
        {
            if (ids != null) ids[i] = start + i;
            if (systemIds != null) systemIds[i] = engine._threads[start + i];
        }
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetCurrentThreadTebAddress(nint self, ulong* teb) => Call(self, _ =>
    {
        *teb = 0;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetThreadIdBySystemId(nint self, uint systemId, uint* id) => Call(self, engine =>
    {
        int index = Array.IndexOf(engine._threads, systemId);
        if (index < 0)
            return E_FAIL;
        *id = (uint)index;
        return S_OK;
    });

    [UnmanagedCallersOnly]
    private static int GetCurrentProcessSystemId(nint self, uint* id) => Call(self, engine =>
    {
        *id = (uint)engine._dump.DataReader.ProcessId;
        return S_OK;
    });

    // IDebugAdvanced

    [UnmanagedCallersOnly]
    private static int GetThreadContext(nint self, byte* context, uint size) => Call(self, engine =>
    {
        const uint ContextAmd64All = 0x0010001F;
        uint systemId = engine._threads[engine._currentThread];
        return engine._dump.DataReader.GetThreadContext(systemId, ContextAmd64All, new Span<byte>(context, (int)size)) ? S_OK : E_FAIL;
    });
}
