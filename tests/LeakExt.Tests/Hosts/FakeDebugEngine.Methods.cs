using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Hosts;

/// <summary>The engine's methods, one static entry per vtable slot; each finds its fake through the object's handle and runs through <c>Call</c>.</summary>
internal sealed unsafe partial class FakeDebugEngine
{
    // IUnknown

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
