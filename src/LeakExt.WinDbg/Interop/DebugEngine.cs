using System.Runtime.InteropServices;
using System.Text;
using static LeakExt.WinDbg.Interop.DbgEngApi;

namespace LeakExt.WinDbg.Interop;

/// <summary>
/// The debugger interfaces one command call needs, queried from the IDebugClient it was given.
/// DbgEng binds a client to the thread that received it: call these only on that thread
/// (<see cref="EngineDispatcher"/> brings other threads' calls there). Dispose releases them.
/// </summary>
internal sealed unsafe class DebugEngine : IDisposable
{
    private readonly ComInterface _control;
    private readonly ComInterface _dataSpaces;
    private readonly ComInterface _symbols;
    private readonly ComInterface _systemObjects;
    private readonly ComInterface _advanced;

    public DebugEngine(nint client)
    {
        if (client == 0)
            throw new DebugEngineException("IDebugClient (null)", HResults.E_INVALIDARG);
        _control = Require(client, IID_IDebugControl4, "IDebugControl4");
        _dataSpaces = Require(client, IID_IDebugDataSpaces2, "IDebugDataSpaces2");
        _symbols = Require(client, IID_IDebugSymbols, "IDebugSymbols");
        _systemObjects = Require(client, IID_IDebugSystemObjects, "IDebugSystemObjects");
        _advanced = Require(client, IID_IDebugAdvanced, "IDebugAdvanced");
    }

    private ComInterface Require(nint client, Guid iid, string name)
    {
        ComInterface result = ComInterface.Query(client, iid);
        if (result.IsNull)
        {
            Dispose();
            throw new DebugEngineException($"QueryInterface({name})", HResults.E_NOINTERFACE);
        }
        return result;
    }

    // IDebugControl

    /// <summary>True when the user asked to interrupt (Ctrl-Break / Ctrl-C in the debugger).</summary>
    public bool InterruptRequested() =>
        ((delegate* unmanaged[Stdcall]<nint, int>)_control.Slot(ControlSlot.GetInterrupt))(_control.Pointer) == HResults.S_OK;

    public (uint Class, uint Qualifier) GetDebuggeeType()
    {
        uint debuggeeClass, qualifier;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, uint*, int>)_control.Slot(ControlSlot.GetDebuggeeType))(_control.Pointer, &debuggeeClass, &qualifier);
        DebugEngineException.ThrowIfFailed(hr, "GetDebuggeeType");
        return (debuggeeClass, qualifier);
    }

    public ushort GetActualProcessorType()
    {
        uint type;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, int>)_control.Slot(ControlSlot.GetActualProcessorType))(_control.Pointer, &type);
        DebugEngineException.ThrowIfFailed(hr, "GetActualProcessorType");
        return (ushort)type;
    }

    public bool IsPointer64Bit()
    {
        int hr = ((delegate* unmanaged[Stdcall]<nint, int>)_control.Slot(ControlSlot.IsPointer64Bit))(_control.Pointer);
        DebugEngineException.ThrowIfFailed(hr, "IsPointer64Bit");
        return hr == HResults.S_OK;
    }

    public uint GetEngineOptions()
    {
        uint options;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, int>)_control.Slot(ControlSlot.GetEngineOptions))(_control.Pointer, &options);
        return hr < 0 ? 0 : options;
    }

    /// <summary>The target's time (for a dump: when it was written), in seconds since 1970; null when unknown.</summary>
    public uint? GetCurrentTimeDate()
    {
        uint seconds;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, int>)_control.Slot(ControlSlot.GetCurrentTimeDate))(_control.Pointer, &seconds);
        return hr < 0 || seconds == 0 ? null : seconds;
    }

    /// <summary>Writes UTF-16 text; "%ws" keeps the engine from reading format specifiers in it.</summary>
    public void Output(uint outputControl, uint mask, string text) => Output(_control, outputControl, mask, text);

    /// <summary>Output through an IDebugControl4 alone (also when the engine lacks other interfaces we need).</summary>
    public static void Output(ComInterface control, uint outputControl, uint mask, string text)
    {
        fixed (char* format = "%ws")
        fixed (char* body = text)
        {
            // ControlledOutputWide is variadic: one pointer argument passes the same way on x64 and arm64.
            ((delegate* unmanaged[Stdcall]<nint, uint, uint, char*, char*, int>)control.Slot(ControlSlot.ControlledOutputWide))(
                control.Pointer, outputControl, mask, format, body);
        }
    }

    // IDebugDataSpaces2

    public int ReadVirtual(ulong address, Span<byte> buffer)
    {
        uint read = 0;
        int hr;
        fixed (byte* pointer = buffer)
            hr = ((delegate* unmanaged[Stdcall]<nint, ulong, byte*, uint, uint*, int>)_dataSpaces.Slot(DataSpacesSlot.ReadVirtual))(
                _dataSpaces.Pointer, address, pointer, (uint)buffer.Length, &read);
        return hr < 0 ? 0 : (int)read;
    }

    public bool QueryVirtual(ulong address, out MemoryBasicInformation64 info)
    {
        MemoryBasicInformation64 result;
        int hr = ((delegate* unmanaged[Stdcall]<nint, ulong, MemoryBasicInformation64*, int>)_dataSpaces.Slot(DataSpacesSlot.QueryVirtual))(
            _dataSpaces.Pointer, address, &result);
        info = result;
        return hr == HResults.S_OK;
    }

    // IDebugSymbols

    public uint GetNumberModules()
    {
        uint loaded, unloaded;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, uint*, int>)_symbols.Slot(SymbolsSlot.GetNumberModules))(_symbols.Pointer, &loaded, &unloaded);
        DebugEngineException.ThrowIfFailed(hr, "GetNumberModules");
        return loaded;
    }

    public ulong GetModuleByIndex(uint index)
    {
        ulong moduleBase;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint, ulong*, int>)_symbols.Slot(SymbolsSlot.GetModuleByIndex))(_symbols.Pointer, index, &moduleBase);
        DebugEngineException.ThrowIfFailed(hr, "GetModuleByIndex");
        return moduleBase;
    }

    public DebugModuleParameters GetModuleParameters(ulong moduleBase)
    {
        DebugModuleParameters parameters;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint, ulong*, uint, DebugModuleParameters*, int>)_symbols.Slot(SymbolsSlot.GetModuleParameters))(
            _symbols.Pointer, 1, &moduleBase, 0, &parameters);
        DebugEngineException.ThrowIfFailed(hr, "GetModuleParameters");
        return parameters;
    }

    /// <summary>The module's image path (the file it was loaded from), or its module name when the path is unknown.</summary>
    public string GetModuleImageName(ulong moduleBase)
    {
        const uint Capacity = 1024;
        byte* image = stackalloc byte[(int)Capacity];
        byte* module = stackalloc byte[(int)Capacity];
        uint imageSize = 0, moduleSize = 0;
        // DEBUG_ANY_ID: look the module up by its base.
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint, ulong, byte*, uint, uint*, byte*, uint, uint*, byte*, uint, uint*, int>)_symbols.Slot(SymbolsSlot.GetModuleNames))(
            _symbols.Pointer, 0xFFFFFFFF, moduleBase, image, Capacity, &imageSize, module, Capacity, &moduleSize, null, 0, null);
        DebugEngineException.ThrowIfFailed(hr, "GetModuleNames");
        string imageName = Marshal.PtrToStringUTF8((nint)image) ?? "";
        return imageName.Length > 0 ? imageName : Marshal.PtrToStringUTF8((nint)module) ?? "";
    }

    public string GetSymbolPath()
    {
        uint size = 0;
        var getSymbolPath = (delegate* unmanaged[Stdcall]<nint, byte*, uint, uint*, int>)_symbols.Slot(SymbolsSlot.GetSymbolPath);
        int hr = getSymbolPath(_symbols.Pointer, null, 0, &size);
        if (hr < 0 || size <= 1)
            return "";
        byte[] buffer = new byte[size];
        fixed (byte* pointer = buffer)
            hr = getSymbolPath(_symbols.Pointer, pointer, size, &size);
        return hr < 0 ? "" : Encoding.UTF8.GetString(buffer, 0, Math.Max(0, (int)size - 1));
    }

    // IDebugSystemObjects

    public uint GetCurrentProcessSystemId()
    {
        uint id;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, int>)_systemObjects.Slot(SystemObjectsSlot.GetCurrentProcessSystemId))(_systemObjects.Pointer, &id);
        return hr < 0 ? 0 : id;
    }

    /// <summary>The OS thread ids of the current process's threads.</summary>
    public uint[] GetThreadSystemIds()
    {
        uint count;
        int hr = ((delegate* unmanaged[Stdcall]<nint, uint*, int>)_systemObjects.Slot(SystemObjectsSlot.GetNumberThreads))(_systemObjects.Pointer, &count);
        DebugEngineException.ThrowIfFailed(hr, "GetNumberThreads");
        if (count == 0)
            return [];
        var systemIds = new uint[count];
        fixed (uint* pointer = systemIds)
            hr = ((delegate* unmanaged[Stdcall]<nint, uint, uint, uint*, uint*, int>)_systemObjects.Slot(SystemObjectsSlot.GetThreadIdsByIndex))(
                _systemObjects.Pointer, 0, count, null, pointer);
        DebugEngineException.ThrowIfFailed(hr, "GetThreadIdsByIndex");
        return systemIds;
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the engine's current thread set to OS thread
    /// <paramref name="systemId"/>, then restores the user's current thread. False when there is no such thread.
    /// </summary>
    public bool WithCurrentThread(uint systemId, Action action)
    {
        var systemObjects = _systemObjects;
        uint engineId, previous;
        if (((delegate* unmanaged[Stdcall]<nint, uint, uint*, int>)systemObjects.Slot(SystemObjectsSlot.GetThreadIdBySystemId))(systemObjects.Pointer, systemId, &engineId) < 0)
            return false;
        if (((delegate* unmanaged[Stdcall]<nint, uint*, int>)systemObjects.Slot(SystemObjectsSlot.GetCurrentThreadId))(systemObjects.Pointer, &previous) < 0)
            return false;
        var setCurrent = (delegate* unmanaged[Stdcall]<nint, uint, int>)systemObjects.Slot(SystemObjectsSlot.SetCurrentThreadId);
        if (setCurrent(systemObjects.Pointer, engineId) < 0)
            return false;
        try
        {
            action();
            return true;
        }
        finally
        {
            setCurrent(systemObjects.Pointer, previous);
        }
    }

    public ulong GetCurrentThreadTebAddress()
    {
        ulong teb;
        int hr = ((delegate* unmanaged[Stdcall]<nint, ulong*, int>)_systemObjects.Slot(SystemObjectsSlot.GetCurrentThreadTebAddress))(_systemObjects.Pointer, &teb);
        return hr < 0 ? 0 : teb;
    }

    // IDebugAdvanced

    /// <summary>The current thread's register context, in the target's Windows CONTEXT layout.</summary>
    public bool GetThreadContext(Span<byte> context)
    {
        fixed (byte* pointer = context)
            return ((delegate* unmanaged[Stdcall]<nint, byte*, uint, int>)_advanced.Slot(AdvancedSlot.GetThreadContext))(
                _advanced.Pointer, pointer, (uint)context.Length) >= 0;
    }

    public void Dispose()
    {
        _control.Release();
        _dataSpaces.Release();
        _symbols.Release();
        _systemObjects.Release();
        _advanced.Release();
    }
}
