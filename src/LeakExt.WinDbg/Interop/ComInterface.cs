using System.Runtime.InteropServices;

namespace LeakExt.WinDbg.Interop;

/// <summary>
/// A raw COM interface pointer. Layout: the pointer addresses an object whose first field points
/// to the vtable, an array of function pointers; slots 0–2 are IUnknown (QueryInterface, AddRef,
/// Release). Calls cost one indirect call; nothing is marshalled.
/// </summary>
internal readonly unsafe struct ComInterface(nint pointer)
{
    public nint Pointer { get; } = pointer;

    public bool IsNull => Pointer == 0;

    public void* Slot(int index) => (*(void***)Pointer)[index];

    /// <summary>Asks <paramref name="unknown"/> for another interface; a null interface when it has none.</summary>
    public static ComInterface Query(nint unknown, Guid iid)
    {
        nint result = 0;
        var queryInterface = (delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int>)new ComInterface(unknown).Slot(0);
        int hr = queryInterface(unknown, &iid, &result);
        return new ComInterface(hr >= 0 ? result : 0);
    }

    public void Release()
    {
        if (Pointer != 0)
            ((delegate* unmanaged[Stdcall]<nint, uint>)Slot(2))(Pointer);
    }
}

/// <summary>An HRESULT that failed, named with the call that returned it.</summary>
internal sealed class DebugEngineException(string call, int hresult)
    : Exception($"the debugger's {call} failed (HRESULT 0x{hresult:X8})")
{
    public int HResult32 { get; } = hresult;

    public static void ThrowIfFailed(int hresult, string call)
    {
        if (hresult < 0)
            throw new DebugEngineException(call, hresult);
    }
}

internal static class HResults
{
    public const int S_OK = 0;
    public const int S_FALSE = 1;
    public const int E_FAIL = unchecked((int)0x80004005);
    public const int E_NOINTERFACE = unchecked((int)0x80004002);
    public const int E_INVALIDARG = unchecked((int)0x80070057);
    /// <summary>HRESULT_FROM_WIN32(ERROR_CANCELLED).</summary>
    public const int Cancelled = unchecked((int)0x800704C7);
}

/// <summary>Reads a NUL-terminated single-byte string the debugger passed in (its code page is ANSI; commands use ASCII).</summary>
internal static unsafe class NativeText
{
    public static string FromAnsi(byte* text) => text is null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";
}
