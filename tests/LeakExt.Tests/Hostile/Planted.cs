using System.Diagnostics;
using System.Net.Sockets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hostile;

/// <summary>A test of FIFOs, sockets, devices or signals: Linux only (elsewhere it says so and skips).</summary>
public sealed class LinuxFactAttribute() : FactUnlessAttribute(Planted.NotLinux);

/// <inheritdoc cref="LinuxFactAttribute"/>
public sealed class LinuxTheoryAttribute() : TheoryUnlessAttribute(Planted.NotLinux);

/// <summary>
/// A scratch folder with the things an attacker plants where LeakExt will write or read: FIFOs,
/// sockets, symbolic links to a victim file. Deleted with everything in it when disposed.
/// </summary>
internal sealed class Planted : IDisposable
{
    private readonly List<Socket> _sockets = new();

    public Planted()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"leakext-planted-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        Victim = Path.Combine(Folder, "victim.txt");
        File.WriteAllText(Victim, VictimText);
    }

    public const string VictimText = "the user's precious data\n";

    /// <summary>Why a test of FIFOs, sockets, /dev and signals skips here, or null on Linux.</summary>
    public static string? NotLinux => OperatingSystem.IsLinux() ? null : "FIFOs, sockets, /dev and signals as tested here are Linux's";

    public string Folder { get; }

    /// <summary>A regular file that must never be overwritten.</summary>
    public string Victim { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public string Fifo(string name)
    {
        string path = PathOf(name);
        using Process mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    public string Socket(string name)
    {
        string path = PathOf(name);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        _sockets.Add(socket);
        return path;
    }

    public string LinkToVictim(string name)
    {
        string path = PathOf(name);
        File.CreateSymbolicLink(path, Victim);
        return path;
    }

    public string DanglingLink(string name)
    {
        string path = PathOf(name);
        File.CreateSymbolicLink(path, PathOf("nothing-here"));
        return path;
    }

    /// <summary>Every name in the folder (links and FIFOs too), sorted: what a test expects to be left.</summary>
    public string[] Names() => Directory.EnumerateFileSystemEntries(Folder).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray();

    public void AssertVictimUntouched()
    {
        Assert.Equal(VictimText, File.ReadAllText(Victim));
        Assert.Null(new FileInfo(Victim).LinkTarget);
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets)
            socket.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
