using System.Runtime.InteropServices;

namespace LeakExt.WinDbg;

/// <summary>
/// One export per command, named as the user types it after '!' (DbgEng looks exports up by that
/// name). NativeAOT needs each entry point spelled out; a test checks that every command in
/// CommandTable has one here.
/// </summary>
public static unsafe partial class Extension
{
    [UnmanagedCallersOnly(EntryPoint = "help")]
    public static int Help(nint client, byte* arguments) => Run("help", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "snapshot")]
    public static int Snapshot(nint client, byte* arguments) => Run("snapshot", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "snapshots")]
    public static int Snapshots(nint client, byte* arguments) => Run("snapshots", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "snapdiff")]
    public static int SnapDiff(nint client, byte* arguments) => Run("snapdiff", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "heapgrowth")]
    public static int HeapGrowth(nint client, byte* arguments) => Run("heapgrowth", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "backrefs")]
    public static int Backrefs(nint client, byte* arguments) => Run("backrefs", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "rootpath")]
    public static int RootPath(nint client, byte* arguments) => Run("rootpath", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "retained")]
    public static int Retained(nint client, byte* arguments) => Run("retained", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "dominators")]
    public static int Dominators(nint client, byte* arguments) => Run("dominators", client, arguments);

    [UnmanagedCallersOnly(EntryPoint = "fragmentation")]
    public static int Fragmentation(nint client, byte* arguments) => Run("fragmentation", client, arguments);
}
