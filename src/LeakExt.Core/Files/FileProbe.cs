using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LeakExt.Core.Files;

/// <summary>What a path names, without following a final symbolic link.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    /// <summary>It exists, but this system cannot tell what it is (see <see cref="FileProbe"/>).</summary>
    Unknown,
}

/// <summary>
/// Tells regular files from folders, links, FIFOs, sockets and devices, which .NET's file APIs do
/// not distinguish (a FIFO and an empty file look alike; opening a FIFO blocks until a writer
/// comes). On Linux through statx(2), whose structure is the same on every architecture; on
/// Windows through GetFileType (only disk files are regular); elsewhere .NET's attributes, with
/// anything that exists but is neither a folder nor a link reported as <see cref="FileKind.Unknown"/>.
/// </summary>
public static partial class FileProbe
{
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Missing => "missing",
        _ => "not a file this system can identify",
    };

    /// <summary>The kind of <paramref name="path"/> itself (a link is reported as a link) and its size.</summary>
    public static (FileKind Kind, long Size) Inspect(string path)
    {
        if (OperatingSystem.IsLinux() && LinuxStat(path, followLink: false) is { } linux)
            return linux;
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            return (FileKind.SymbolicLink, 0);
        if (Directory.Exists(path))
            return (FileKind.Directory, 0);
        if (!info.Exists)
            return (FileKind.Missing, 0);
        if (OperatingSystem.IsWindows())
            return (IsWindowsDevicePath(path) ? FileKind.CharacterDevice : FileKind.Regular, info.Length);
        return (FileKind.Unknown, info.Length);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without ever blocking on it: on Linux with
    /// O_NONBLOCK (a FIFO opens at once) and checked on the open descriptor, so nothing can be
    /// swapped in between. Returns the kind; the handle is null unless it is a regular file.
    /// </summary>
    public static (FileKind Kind, long Size, SafeFileHandle? Handle) OpenForReading(string path)
    {
        if (OperatingSystem.IsLinux() && LinuxOpenForReading(path) is { } linux)
            return linux;
        if (Directory.Exists(path))
            return (FileKind.Directory, 0, null);
        if (!File.Exists(path))
            return (FileKind.Missing, 0, null);
        if (OperatingSystem.IsWindows() && IsWindowsDevicePath(path))
            return (FileKind.CharacterDevice, 0, null);
        // Elsewhere a FIFO or a device reports size 0: it is refused as empty before it is opened.
        if (!OperatingSystem.IsWindows() && new FileInfo(path).Length == 0)
            return (FileKind.Regular, 0, null);
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (OperatingSystem.IsWindows() && GetFileType(handle) != FileTypeDisk)
        {
            handle.Dispose();
            return (FileKind.CharacterDevice, 0, null);
        }
        return (FileKind.Regular, RandomAccess.GetLength(handle), handle);
    }

    // Windows device namespaces (\\.\NUL, \\.\pipe\x, \\?\GLOBALROOT\…) never name a regular file.
    private static bool IsWindowsDevicePath(string path)
    {
        string full = Path.GetFullPath(path);
        return full.StartsWith(@"\\.\", StringComparison.Ordinal) ||
               (full.StartsWith(@"\\?\", StringComparison.Ordinal) && !(full.Length > 6 && full[5] == ':'));
    }

    // ---- Linux: statx(2) and open(2) ----

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const int StatxBufferSize = 256;     // struct statx is 256 bytes on every architecture
    private const int StatxModeOffset = 28, StatxSizeOffset = 40;
    private const int OpenReadOnlyNonBlocking = 0x800 /* O_NONBLOCK */ | 0x100 /* O_NOCTTY */ | 0x80000 /* O_CLOEXEC */;
    private const int ErrorNoEntry = 2, ErrorNotDirectory = 20;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatX(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("kernel32", EntryPoint = "GetFileType")]
    private static partial int GetFileType(SafeFileHandle handle);

    private const int FileTypeDisk = 1;

    /// <summary>statx on a path (or, with an empty path, on <paramref name="descriptor"/>); null where statx is missing.</summary>
    private static unsafe (FileKind Kind, long Size)? LinuxStat(string path, bool followLink, int descriptor = AtFdCwd)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        int result;
        try
        {
            int flags = (followLink ? 0 : AtSymlinkNoFollow) | (path.Length == 0 ? AtEmptyPath : 0);
            result = StatX(descriptor, path, flags, StatxType | StatxSize, buffer);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        if (result != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error is ErrorNoEntry or ErrorNotDirectory)
                return (FileKind.Missing, 0);
            return null;
        }
        var span = new ReadOnlySpan<byte>(buffer, StatxBufferSize);
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(span[StatxModeOffset..]) & 0xF000;
        long size = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(span[StatxSizeOffset..]), long.MaxValue);
        FileKind kind = mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Unknown,
        };
        return (kind, size);
    }

    private static (FileKind Kind, long Size, SafeFileHandle? Handle)? LinuxOpenForReading(string path)
    {
        int descriptor;
        try
        {
            descriptor = Open(path, OpenReadOnlyNonBlocking, 0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        if (descriptor < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error is ErrorNoEntry or ErrorNotDirectory)
                return (FileKind.Missing, 0, null);
            throw new UnauthorizedAccessException($"cannot open '{path}': {Marshal.GetPInvokeErrorMessage(error)}");
        }
        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        (FileKind Kind, long Size)? stat = LinuxStat("", followLink: true, descriptor);
        if (stat is not { Kind: FileKind.Regular } regular)
        {
            handle.Dispose();
            return stat is { } other ? (other.Kind, other.Size, null) : null;
        }
        return (FileKind.Regular, regular.Size, handle);
    }
}
