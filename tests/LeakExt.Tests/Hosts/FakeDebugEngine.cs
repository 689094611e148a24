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
internal sealed unsafe partial class FakeDebugEngine : IDisposable
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
}
