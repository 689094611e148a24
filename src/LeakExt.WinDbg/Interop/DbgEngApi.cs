using System.Runtime.InteropServices;

namespace LeakExt.WinDbg.Interop;

/// <summary>
/// The parts of dbgeng.h we call: interface IDs, vtable slots (counted from 0, IUnknown's three
/// first, each interface continuing its base's numbering), constants and structures.
/// </summary>
internal static class DbgEngApi
{
    public static readonly Guid IID_IDebugControl4 = new("94e60ce9-9b41-4b19-9fc0-6d9eb35272b3");
    public static readonly Guid IID_IDebugDataSpaces2 = new("7a5e852f-96e9-468f-ac1b-0b3addc4a049");
    public static readonly Guid IID_IDebugSymbols = new("8c31e98c-983a-48a5-9016-6fe5d667a950");
    public static readonly Guid IID_IDebugSystemObjects = new("6b86fe2c-2c4f-4f0c-9da2-174311acc327");
    public static readonly Guid IID_IDebugAdvanced = new("f2df5f53-071f-47bd-9de6-5734c3fed689");

    /// <summary>IDebugControl, IDebugControl2 and IDebugControl4 slots (IDebugControl4 derives from them all).</summary>
    public static class ControlSlot
    {
        public const int GetInterrupt = 3;
        public const int GetDebuggeeType = 34;
        public const int GetActualProcessorType = 35;
        public const int IsPointer64Bit = 42;
        public const int GetEngineOptions = 53;
        public const int GetCurrentTimeDate = 95;
        public const int ControlledOutputWide = 122;
    }

    public static class DataSpacesSlot
    {
        public const int ReadVirtual = 3;
        public const int QueryVirtual = 28;
    }

    public static class SymbolsSlot
    {
        public const int GetNumberModules = 12;
        public const int GetModuleByIndex = 13;
        public const int GetModuleNames = 16;
        public const int GetModuleParameters = 17;
        public const int GetSymbolPath = 40;
    }

    public static class SystemObjectsSlot
    {
        public const int GetCurrentThreadId = 5;
        public const int SetCurrentThreadId = 6;
        public const int GetNumberThreads = 9;
        public const int GetThreadIdsByIndex = 11;
        public const int GetCurrentThreadTebAddress = 15;
        public const int GetThreadIdBySystemId = 18;
        public const int GetCurrentProcessSystemId = 27;
    }

    public static class AdvancedSlot
    {
        public const int GetThreadContext = 3;
    }

    public const uint DEBUG_OUTCTL_AMBIENT_DML = 0xFFFFFFFE;
    public const uint DEBUG_OUTCTL_AMBIENT_TEXT = 0xFFFFFFFF;
    public const uint DEBUG_OUTPUT_NORMAL = 0x1;
    public const uint DEBUG_OUTPUT_ERROR = 0x2;
    public const uint DEBUG_OUTPUT_WARNING = 0x4;
    public const uint DEBUG_ENGOPT_PREFER_DML = 0x00040000;

    public const uint DEBUG_NOTIFY_SESSION_ACTIVE = 0;
    public const uint DEBUG_NOTIFY_SESSION_INACTIVE = 1;
    public const uint DEBUG_NOTIFY_SESSION_ACCESSIBLE = 2;
    public const uint DEBUG_NOTIFY_SESSION_INACCESSIBLE = 3;

    /// <summary>Debuggee qualifiers from this value up are dump files.</summary>
    public const uint DEBUG_DUMP_SMALL = 1024;

    public const ushort IMAGE_FILE_MACHINE_I386 = 0x014C;
    public const ushort IMAGE_FILE_MACHINE_ARMNT = 0x01C4;
    public const ushort IMAGE_FILE_MACHINE_AMD64 = 0x8664;
    public const ushort IMAGE_FILE_MACHINE_ARM64 = 0xAA64;

    public const uint MEM_COMMIT = 0x1000;
    public const uint MEM_PRIVATE = 0x20000;
    public const uint MEM_MAPPED = 0x40000;
    public const uint MEM_IMAGE = 0x1000000;

    /// <summary>DEBUG_EXTENSION_VERSION(1, 0).</summary>
    public const uint ExtensionVersion = (1u << 16) | 0u;
}

/// <summary>DEBUG_MODULE_PARAMETERS: 64 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DebugModuleParameters
{
    public ulong Base;
    public uint Size;
    public uint TimeDateStamp;
    public uint Checksum;
    public uint Flags;
    public uint SymbolType;
    public uint ImageNameSize;
    public uint ModuleNameSize;
    public uint LoadedImageNameSize;
    public uint SymbolFileNameSize;
    public uint MappedImageNameSize;
    public ulong Reserved0;
    public ulong Reserved1;
}

/// <summary>MEMORY_BASIC_INFORMATION64: 48 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MemoryBasicInformation64
{
    public ulong BaseAddress;
    public ulong AllocationBase;
    public uint AllocationProtect;
    public uint Alignment1;
    public ulong RegionSize;
    public uint State;
    public uint Protect;
    public uint Type;
    public uint Alignment2;
}
