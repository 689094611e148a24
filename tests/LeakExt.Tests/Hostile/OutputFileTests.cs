using LeakExt.Core;
using LeakExt.Core.Files;

namespace LeakExt.Tests.Hostile;

/// <summary>The one file writer: regular files only, exclusive unpredictable temporary files, -force to replace, nothing left behind.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OutputFileTests : IDisposable
{
    private readonly Planted _planted = new();

    public void Dispose() => _planted.Dispose();

    private static readonly OutputOptions NoForce = new();
    private static readonly OutputOptions Force = new(Force: true);

    private static void Content(Stream stream) => stream.Write("new content\n"u8);

    /// <summary>Runs a write on another thread, so that a write that blocks (a FIFO opened for writing) fails the test instead of hanging it.</summary>
    private static Exception? Attempt(Action write)
    {
        Task task = Task.Run(write);
        Assert.True(Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))).Result == task, "it hung");
        return task.Exception?.InnerException;
    }

    private static void AssertOneLine(Exception? error, string fragment)
    {
        Assert.IsType<LeakExtException>(error);
        Assert.DoesNotContain("\n", error.Message);
        Assert.Contains(fragment, error.Message);
    }

    [LinuxTheory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("socket", "is a socket, not a regular file")]
    [InlineData("folder", "is a folder")]
    public void A_fifo_a_socket_or_a_folder_is_never_written_or_replaced(string kind, string expected)
    {
        string target = kind switch
        {
            "fifo" => _planted.Fifo("out.leaksnap"),
            "socket" => _planted.Socket("out.leaksnap"),
            _ => Directory.CreateDirectory(_planted.PathOf("out.leaksnap")).FullName,
        };
        string[] before = _planted.Names();
        foreach (OutputOptions options in new[] { NoForce, Force })
            AssertOneLine(Attempt(() => OutputFile.Write(target, options, Content)), expected);
        Assert.Equal(before, _planted.Names());
        Assert.Equal(kind == "fifo" ? FileKind.Fifo : kind == "socket" ? FileKind.Socket : FileKind.Directory, FileProbe.Inspect(target).Kind);
    }

    [LinuxTheory]
    [InlineData("/dev/full")]
    [InlineData("/dev/null")]
    public void A_device_is_refused_even_with_force(string device)
    {
        AssertOneLine(Attempt(() => OutputFile.Write(device, Force, Content)), $"'{device}' is a character device, not a regular file");
        Assert.Equal(FileKind.CharacterDevice, FileProbe.Inspect(device).Kind);
    }

    [LinuxFact]
    public void A_symbolic_link_as_target_is_neither_followed_nor_replaced()
    {
        string link = _planted.LinkToVictim("out.leaksnap");
        string dangling = _planted.DanglingLink("other.leaksnap");
        foreach (string target in new[] { link, dangling })
            AssertOneLine(Attempt(() => OutputFile.Write(target, Force, Content)), "is a symbolic link; LeakExt neither writes through nor replaces links");
        _planted.AssertVictimUntouched();
        Assert.Equal(_planted.Victim, new FileInfo(link).LinkTarget);
        Assert.False(File.Exists(_planted.PathOf("nothing-here")));
    }

    [LinuxFact]
    public void A_link_planted_at_the_old_temporary_name_is_ignored()
    {
        // Before, -save wrote FILE.tmp through whatever was there and renamed it over FILE.
        string planted = _planted.LinkToVictim("out.leaksnap.tmp");
        string target = _planted.PathOf("out.leaksnap");
        Assert.Equal(target, OutputFile.Write(target, NoForce, Content));
        Assert.Equal("new content\n", File.ReadAllText(target));
        _planted.AssertVictimUntouched();
        Assert.Equal(_planted.Victim, new FileInfo(planted).LinkTarget);
        Assert.Equal(["out.leaksnap", "out.leaksnap.tmp", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void The_temporary_file_is_hidden_beside_the_target_with_a_new_unpredictable_name_each_time()
    {
        string target = _planted.PathOf("out.leaksnap");
        var seen = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            OutputFile.Write(target, Force, stream =>
            {
                seen.AddRange(_planted.Names().Where(n => n.EndsWith(".tmp", StringComparison.Ordinal)));
                Content(stream);
            });
        }
        Assert.Equal(2, seen.Count);
        Assert.All(seen, name => Assert.Matches(@"^\.out\.leaksnap\.[a-z2-7]{16}\.tmp$", name));
        Assert.NotEqual(seen[0], seen[1]);
        Assert.Equal(["out.leaksnap", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void An_existing_file_is_replaced_only_with_force()
    {
        string existing = _planted.Victim;
        AssertOneLine(Attempt(() => OutputFile.Write(existing, NoForce, Content)), "already exists; pass -force to replace it.");
        AssertOneLine(Attempt(() => OutputFile.Write(existing, NoForce with { ForceOption = "--force" }, Content)), "pass --force to replace it.");
        _planted.AssertVictimUntouched();

        OutputFile.Write(existing, Force, Content);
        Assert.Equal("new content\n", File.ReadAllText(existing));
        Assert.Equal(["victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void A_file_that_appears_while_writing_is_not_replaced_without_force()
    {
        string target = _planted.PathOf("out.leaksnap");
        Exception? error = Attempt(() => OutputFile.Write(target, NoForce, stream =>
        {
            File.WriteAllText(target, "someone else's\n");
            Content(stream);
        }));
        AssertOneLine(error, "already exists; pass -force to replace it.");
        Assert.Equal("someone else's\n", File.ReadAllText(target));
        Assert.Equal(["out.leaksnap", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void A_missing_folder_is_an_error_and_is_not_made()
    {
        string target = _planted.PathOf("no/such/folder/out.leaksnap");
        AssertOneLine(Attempt(() => OutputFile.Write(target, Force, Content)), $"the folder '{_planted.PathOf("no/such/folder")}' does not exist");
        Assert.False(Directory.Exists(_planted.PathOf("no")));
    }

    [LinuxFact]
    public void A_full_disk_leaves_no_temporary_file_and_the_target_as_it_was()
    {
        // What a full disk does to a write: the stream throws part-way (ENOSPC), here after half the content.
        Exception? error = Attempt(() => OutputFile.Write(_planted.Victim, Force, stream =>
        {
            stream.Write("half"u8);
            throw new IOException("No space left on device");
        }));
        AssertOneLine(error, $"could not write '{_planted.Victim}': No space left on device; nothing was written.");
        _planted.AssertVictimUntouched();
        Assert.Equal(["victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void Cancelling_while_writing_leaves_no_temporary_file_and_the_target_as_it_was()
    {
        using var cancel = new CancellationTokenSource();
        Exception? error = Attempt(() => OutputFile.Write(_planted.Victim, Force, stream =>
        {
            stream.Write("half"u8);
            cancel.Cancel();
        }, cancel.Token));
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        _planted.AssertVictimUntouched();
        Assert.Equal(["victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void Output_another_program_writes_goes_through_the_same_rules()
    {
        string target = _planted.PathOf("core.dmp");
        // A producer that wrote nothing, and one that swapped our file for a link: nothing kept, the victim untouched.
        AssertOneLine(Attempt(() => OutputFile.WriteThrough(target, NoForce, _ => { })), "nothing usable was written");
        AssertOneLine(Attempt(() => OutputFile.WriteThrough(target, NoForce, temporary =>
        {
            File.Delete(temporary);
            File.CreateSymbolicLink(temporary, _planted.Victim);
        })), "nothing usable was written");
        Assert.Equal(["victim.txt"], _planted.Names());
        _planted.AssertVictimUntouched();

        OutputFile.WriteThrough(target, new OutputOptions(Private: true), temporary => File.WriteAllText(temporary, "dump\n"));
        Assert.Equal("dump\n", File.ReadAllText(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        Assert.Equal(["core.dmp", "victim.txt"], _planted.Names());
    }

    [LinuxFact]
    public void What_a_path_names_is_told_apart_without_opening_it()
    {
        Assert.Equal(FileKind.Regular, FileProbe.Inspect(_planted.Victim).Kind);
        Assert.Equal(FileKind.Fifo, FileProbe.Inspect(_planted.Fifo("f")).Kind);
        Assert.Equal(FileKind.Socket, FileProbe.Inspect(_planted.Socket("s")).Kind);
        Assert.Equal(FileKind.SymbolicLink, FileProbe.Inspect(_planted.LinkToVictim("l")).Kind);
        Assert.Equal(FileKind.Directory, FileProbe.Inspect(_planted.Folder).Kind);
        Assert.Equal(FileKind.Missing, FileProbe.Inspect(_planted.PathOf("none")).Kind);
        Assert.Equal(FileKind.Missing, FileProbe.Inspect(_planted.PathOf("victim.txt/below")).Kind);
        Assert.Equal(FileKind.CharacterDevice, FileProbe.Inspect("/dev/zero").Kind);
        Assert.Equal(Planted.VictimText.Length, FileProbe.Inspect(_planted.Victim).Size);
    }

    [LinuxFact]
    public void Reading_refuses_fifos_devices_and_oversized_files_before_reading_a_byte()
    {
        string fifo = _planted.Fifo("in.leaksnap");
        AssertOneLine(Attempt(() => InputFile.ReadAll(fifo, 1 << 20, "snapshot file", "a .leaksnap file")), "is a FIFO (named pipe), not a regular file; pass a .leaksnap file.");
        AssertOneLine(Attempt(() => InputFile.ReadAll("/dev/zero", 1 << 20, "snapshot file", "a .leaksnap file")), "'/dev/zero' is a character device");
        AssertOneLine(Attempt(() => InputFile.ReadAll(_planted.Folder, 1 << 20, "snapshot file", "a .leaksnap file")), "is a directory");
        AssertOneLine(Attempt(() => InputFile.ReadAll(_planted.PathOf("none"), 1 << 20, "snapshot file", "a .leaksnap file")), "not found");

        // A sparse 2 GiB file: refused by its size, so nothing near 2 GiB is allocated.
        string huge = _planted.PathOf("huge.leaksnap");
        using (FileStream stream = File.Create(huge))
            stream.SetLength(2L << 30);
        AssertOneLine(Attempt(() => InputFile.ReadAll(huge, 1 << 20, "snapshot file", "a .leaksnap file")), "is 2,147,483,648 bytes, more than any snapshot file LeakExt writes (1,048,576 at most)");

        Assert.Equal(Planted.VictimText, System.Text.Encoding.UTF8.GetString(InputFile.ReadAll(_planted.Victim, 1 << 20, "file", "a file")));
    }
}
