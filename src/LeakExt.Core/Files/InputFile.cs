using Microsoft.Win32.SafeHandles;

namespace LeakExt.Core.Files;

/// <summary>
/// Reads a whole input file LeakExt did not make itself (a .leaksnap passed around), safely: only
/// a regular file (a FIFO, a device, a socket or a folder is a one-line error, at once, without
/// opening it for a blocking read), only up to <c>maxBytes</c> (checked before a byte is read),
/// in chunks that honour cancellation.
/// </summary>
public static class InputFile
{
    private const int ChunkBytes = 4 << 20;

    /// <param name="noun">What the file should be, for messages: "snapshot file".</param>
    /// <param name="expected">What to pass instead, for messages: "a .leaksnap file".</param>
    public static byte[] ReadAll(string path, long maxBytes, string noun, string expected, CancellationToken cancellationToken = default)
    {
        (FileKind kind, long size, SafeFileHandle? handle) = FileProbe.OpenForReading(path);
        using (handle)
        {
            switch (kind)
            {
                case FileKind.Missing:
                    throw new LeakExtException($"{noun} '{path}' not found; check the path.");
                case FileKind.Directory:
                    throw new LeakExtException($"'{path}' is a directory; pass {expected}.");
                case not FileKind.Regular:
                    throw new LeakExtException($"'{path}' is {FileProbe.Describe(kind)}, not a regular file; pass {expected}.");
            }
            if (size == 0 || handle is null)
                throw new LeakExtException($"'{path}' is empty, not {expected}.");
            if (size > maxBytes)
                throw new LeakExtException($"'{path}' is {size:N0} bytes, more than any {noun} LeakExt writes ({maxBytes:N0} at most); it was not read.");

            byte[] bytes = new byte[size];
            int done = 0;
            while (done < bytes.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(handle, bytes.AsSpan(done, Math.Min(ChunkBytes, bytes.Length - done)), done);
                if (read == 0)
                    break;
                done += read;
            }
            // A file that shrank while being read is short; the caller's format checks report it as truncated.
            return done == bytes.Length ? bytes : bytes[..done];
        }
    }
}
