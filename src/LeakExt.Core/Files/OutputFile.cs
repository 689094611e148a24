using System.Security.Cryptography;

namespace LeakExt.Core.Files;

/// <summary>How one output may be written: replace an existing file or not, and how the user asks for that.</summary>
/// <param name="Force">An existing regular file may be replaced.</param>
/// <param name="ForceOption">The option that sets <paramref name="Force"/>, for the error that suggests it ("-force", "--force").</param>
/// <param name="Private">Readable by its owner only (0600): for dumps, which hold the process's memory.</param>
public sealed record OutputOptions(bool Force = false, string ForceOption = "-force", bool Private = false);

/// <summary>
/// The one way LeakExt writes a file (snapshots, DOT, SVG, HTML, dumps). The rules, the most
/// conservative we could make them (docs/commands.md, "Output files"):
/// <list type="bullet">
/// <item>the target's folder must exist (it is never created);</item>
/// <item>the target must be missing or a regular file; a folder, a FIFO, a socket, a device or a
/// symbolic link (even one to a regular file) is refused: we neither write through nor replace links;</item>
/// <item>an existing file is replaced only with force; without it, a file that appears meanwhile is not replaced either;</item>
/// <item>the content goes to a temporary file in the target's folder, created exclusively (O_EXCL: a
/// planted file or symlink at that name makes it fail, never followed) under an unpredictable name
/// (<c>.NAME.RANDOM.tmp</c>), flushed to disk, then renamed over the target in one step;</item>
/// <item>on any failure (a full disk, cancellation, a write error) the temporary file is deleted and
/// the target is untouched.</item>
/// </list>
/// </summary>
public static class OutputFile
{
    private const string RandomAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Writes what <paramref name="write"/> puts in the stream to <paramref name="path"/>; returns the full path.</summary>
    public static string Write(string path, OutputOptions options, Action<Stream> write, CancellationToken cancellationToken = default)
    {
        string target = CheckTarget(path, options);
        string temporary = CreateTemporary(target, options, out FileStream stream);
        try
        {
            using (stream)
            {
                cancellationToken.ThrowIfCancellationRequested();
                write(stream);
                cancellationToken.ThrowIfCancellationRequested();
                stream.Flush(flushToDisk: true);
            }
            Commit(temporary, target, options, cancellationToken);
            return target;
        }
        catch (IOException ex)
        {
            throw new LeakExtException($"could not write '{target}': {ex.Message.ReplaceLineEndings(" ")}; nothing was written.", ex);
        }
        finally
        {
            DeleteQuietly(temporary);
        }
    }

    public static string WriteText(string path, string text, OutputOptions options, CancellationToken cancellationToken = default) =>
        Write(path, options, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            writer.Write(text);
        }, cancellationToken);

    /// <summary>
    /// For output another program writes by name (the runtime's createdump): it gets the path of the
    /// exclusive temporary file, which must still be a regular file when it returns; then it is renamed.
    /// </summary>
    public static string WriteThrough(string path, OutputOptions options, Action<string> produce, CancellationToken cancellationToken = default)
    {
        string target = CheckTarget(path, options);
        string temporary = CreateTemporary(target, options, out FileStream stream);
        try
        {
            stream.Dispose();
            produce(temporary);
            (FileKind kind, long size) = FileProbe.Inspect(temporary);
            if (kind != FileKind.Regular || size == 0)
                throw new LeakExtException($"nothing usable was written for '{target}' (the temporary file is {(size == 0 && kind == FileKind.Regular ? "empty" : FileProbe.Describe(kind))}); nothing was kept.");
            Commit(temporary, target, options, cancellationToken);
            return target;
        }
        finally
        {
            DeleteQuietly(temporary);
        }
    }

    /// <summary>The full target path, or a one-line error saying why it may not be written.</summary>
    public static string CheckTarget(string path, OutputOptions options)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new LeakExtException("no output file named; give a file name.");
        string target = Path.GetFullPath(path);
        if (Path.EndsInDirectorySeparator(path) || Path.GetFileName(target).Length == 0)
            throw new LeakExtException($"'{path}' names a folder; give a file name.");
        string folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
            throw new LeakExtException($"the folder '{folder}' does not exist; create it first or write elsewhere.");
        (FileKind kind, long size) = FileProbe.Inspect(target);
        switch (kind)
        {
            case FileKind.Missing:
                return target;
            case FileKind.Regular:
                if (!options.Force)
                    throw new LeakExtException($"'{path}' already exists; pass {options.ForceOption} to replace it.");
                return target;
            case FileKind.Unknown when size > 0:
                // A system without statx: a FIFO or a device reports size 0, a non-empty file is a file.
                if (!options.Force)
                    throw new LeakExtException($"'{path}' already exists; pass {options.ForceOption} to replace it.");
                return target;
            case FileKind.SymbolicLink:
                throw new LeakExtException($"'{path}' is a symbolic link; LeakExt neither writes through nor replaces links: name the file itself.");
            case FileKind.Directory:
                throw new LeakExtException($"'{path}' is a folder; give a file name.");
            default:
                throw new LeakExtException($"'{path}' is {FileProbe.Describe(kind)}, not a regular file; LeakExt writes only regular files.");
        }
    }

    private static string CreateTemporary(string target, OutputOptions options, out FileStream stream)
    {
        string folder = Path.GetDirectoryName(target)!;
        string name = Path.GetFileName(target);
        if (name.Length > 200)
            name = name[..200];
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (options.Private && !OperatingSystem.IsWindows())
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        for (int attempt = 0; ; attempt++)
        {
            string temporary = Path.Combine(folder, $".{name}.{RandomNumberGenerator.GetString(RandomAlphabet, 16)}.tmp");
            try
            {
                stream = new FileStream(temporary, streamOptions);
                return temporary;
            }
            catch (IOException) when (attempt < 3 && FileProbe.Inspect(temporary).Kind != FileKind.Missing)
            {
                // Something already has that name (planted, or a one-in-2^80 clash): never reuse it, draw another.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new LeakExtException($"could not create a file in '{folder}' to write '{target}': {ex.Message.ReplaceLineEndings(" ")}", ex);
            }
        }
    }

    private static void Commit(string temporary, string target, OutputOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Checked again: the target may have been replaced (by a link, a FIFO) while we wrote.
        CheckTarget(target, options);
        try
        {
            // Without force, a no-replace move (link(2) then unlink on Unix): a file that appeared meanwhile stays.
            File.Move(temporary, target, overwrite: options.Force);
        }
        catch (IOException) when (!options.Force && FileProbe.Inspect(target).Kind != FileKind.Missing)
        {
            throw new LeakExtException($"'{target}' already exists; pass {options.ForceOption} to replace it.");
        }
    }

    private static void DeleteQuietly(string temporary)
    {
        try
        {
            // Deleting a name never follows a link: whatever sits there now goes, nothing it points to.
            if (FileProbe.Inspect(temporary).Kind != FileKind.Missing)
                File.Delete(temporary);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original error matters more; a leftover temporary file is hidden and named .*.tmp.
        }
    }
}
