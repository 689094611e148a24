using System.Buffers.Binary;
using System.Text;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using static LeakExt.Tests.Infrastructure.SyntheticSnapshots;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// .leaksnap files an attacker crafts, each with a correct checksum: every one is refused with one
/// line naming the file (exit code 1, no stack trace, at once), and nothing of it is loaded.
/// </summary>
public sealed class CraftedSnapshotTests : IDisposable
{
    private readonly Planted _planted = new();

    public void Dispose() => _planted.Dispose();

    private string Save(string name, Snapshot snapshot) => SnapshotFile.Write(snapshot, _planted.PathOf(name));

    /// <summary>Rewrites a saved file's payload and fixes its length and checksum, as a careful attacker would.</summary>
    private static void Patch(string file, Func<byte[], byte[]> change)
    {
        byte[] bytes = File.ReadAllBytes(file);
        byte[] payload = change(bytes[32..]);
        byte[] header = bytes[..32];
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), Crc32.Compute(payload));
        File.WriteAllBytes(file, [.. header, .. payload]);
    }

    /// <summary>Where the body of the section with <paramref name="tag"/> starts in a payload.</summary>
    private static int Section(byte[] payload, string tag)
    {
        uint wanted = BinaryPrimitives.ReadUInt32LittleEndian(Encoding.ASCII.GetBytes(tag));
        for (int at = 0; at < payload.Length;)
        {
            long length = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(at + 8));
            if (BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(at)) == wanted)
                return at + 16;
            at += 16 + (int)length;
        }
        throw new InvalidOperationException($"no {tag} section");
    }

    private static void AssertRefused(string file, string fragment)
    {
        foreach (string command in new[] { $"snapshots -load {file}", $"snapdiff {file} {file}", $"heapgrowth {file} {file}" })
        {
            Task<CliResult> run = Task.Run(() => CliRunner.Run("-c", command));
            Assert.True(run.Wait(TimeSpan.FromSeconds(60)), $"'{command}' hung");
            CliResult result = run.Result;
            Assert.Equal(1, result.ExitCode);
            string line = Assert.Single(result.ErrorLines);
            Assert.StartsWith($"error: '{file}' ", line);
            Assert.Contains(fragment, line);
            Assert.DoesNotContain("   at ", result.Errors);
            Assert.DoesNotContain("Exception", result.Errors);
            Assert.Equal("", result.Out);
        }
    }

    private static Snapshot Good() => Make("good", Type("Shop.Order", 10, 480), Type("System.String", 20, 960, "System.Private.CoreLib.dll", dead: 2));

    [Fact]
    public void A_well_made_file_loads()
    {
        CliResult result = CliRunner.Run("-c", $"snapshots -load {Save("good.leaksnap", Good())}");
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Contains("Loaded #1 (good)", result.Out);
    }

    [Fact]
    public void Duplicate_type_rows() =>
        AssertRefused(Save("dup-types.leaksnap", Make("dup", Type("Shop.Order", 10, 480), Type("Shop.Order", 10, 480))),
            "type 'Shop.Order' [App.dll] appears twice.");

    [Fact]
    public void Duplicate_holder_rows()
    {
        var holder = new HolderStats("Shop.Order", "App.dll", "static Shop.Store.s_orders", 5, 240, 0x1000);
        AssertRefused(Save("dup-holders.leaksnap", Good() with { Holders = [holder, holder] }),
            "type 'Shop.Order' [App.dll] under holder 'static Shop.Store.s_orders' appears twice.");
    }

    [Fact]
    public void Duplicate_root_kinds()
    {
        string file = Save("dup-roots.leaksnap", Good() with { Roots = new Dictionary<string, long> { ["aaaaa"] = 1, ["bbbbb"] = 2 } });
        Patch(file, payload =>
        {
            int at = payload.AsSpan(Section(payload, "ROOT")).IndexOf("bbbbb"u8) + Section(payload, "ROOT");
            "aaaaa"u8.CopyTo(payload.AsSpan(at));
            return payload;
        });
        AssertRefused(file, "root kind 'aaaaa' appears twice.");
    }

    [Fact]
    public void Duplicate_sections()
    {
        string file = Save("dup-sections.leaksnap", Good());
        Patch(file, payload =>
        {
            int body = Section(payload, "INFO");
            int length = (int)BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(body - 8));
            return [.. payload, .. payload[(body - 16)..(body + length)]];
        });
        AssertRefused(file, "section INFO appears twice.");
    }

    [Fact]
    public void Totals_of_two_to_the_63()
    {
        Snapshot good = Good();
        var generations = good.Totals.Generations.Select((g, i) => i == 0 ? g with { LiveCount = 1, LiveBytes = long.MaxValue } : g).ToArray();
        AssertRefused(Save("huge-totals.leaksnap", good with { Totals = good.Totals with { Generations = generations } }),
            "live bytes 9,223,372,036,854,775,807 is impossible");
    }

    [Fact]
    public void Negative_counts() =>
        AssertRefused(Save("negative.leaksnap", Make("negative", Type("Shop.Order", 10, 480) with { DeadCount = -5 })), "dead count -5 is impossible");

    [Fact]
    public void More_objects_than_their_bytes_can_hold() =>
        AssertRefused(Save("dense.leaksnap", Make("dense", Type("Shop.Order", 1_000_000, 24))), "gen2 live: 1,000,000 objects cannot take 24 bytes.");

    [Fact]
    public void More_rows_than_the_section_can_hold()
    {
        string file = Save("rows.leaksnap", Good());
        Patch(file, payload =>
        {
            // TYPE: module count, module names, generation count, then the row count.
            int at = Section(payload, "TYPE");
            int modules = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(at));
            at += 4;
            for (int m = 0; m < modules; m++)
                at += 1 + payload[at];
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(at + 4), 100_000_000);
            return payload;
        });
        AssertRefused(file, "section TYPE: 100,000,000 type rows cannot fit in its");
    }

    [Fact]
    public void Totals_that_do_not_match_the_rows()
    {
        Snapshot good = Good();
        var generations = good.Totals.Generations.Select((g, i) => i == 2 ? g with { LiveCount = g.LiveCount + 1 } : g).ToArray();
        AssertRefused(Save("mismatch.leaksnap", good with { Totals = good.Totals with { Generations = generations } }),
            "its gen2 totals (31 live objects, 1,440 bytes) do not match its type rows (30, 1,440).");
    }

    [Fact]
    public void A_pointer_size_that_does_not_exist() =>
        AssertRefused(Save("pointer.leaksnap", Good() with { Info = Good().Info with { PointerSize = 3 } }), "the pointer size 3 is neither 4 nor 8.");

    [LinuxFact]
    public void A_fifo_or_a_device_named_as_a_snapshot_is_refused_at_once()
    {
        AssertRefused(_planted.Fifo("pipe.leaksnap"), "is a FIFO (named pipe), not a regular file; pass a .leaksnap file.");
        AssertRefused("/dev/zero", "is a character device, not a regular file; pass a .leaksnap file.");
    }

    [Fact]
    public void A_file_larger_than_any_snapshot_is_not_read()
    {
        string file = _planted.PathOf("big.leaksnap");
        using (FileStream stream = File.Create(file))
            stream.SetLength(SnapshotFile.MaxFileBytes + 1);
        AssertRefused(file, $"is {SnapshotFile.MaxFileBytes + 1:N0} bytes, more than any snapshot file LeakExt writes ({SnapshotFile.MaxFileBytes:N0} at most); it was not read.");
    }

    [Fact]
    public void A_crafted_file_in_a_folder_names_itself()
    {
        Save("a.leaksnap", Good());
        Save("b.leaksnap", Make("dup", Type("Shop.Order", 10, 480), Type("Shop.Order", 10, 480)));
        CliResult result = CliRunner.Run("heapgrowth", _planted.Folder);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: '{_planted.PathOf("b.leaksnap")}' is corrupt: type 'Shop.Order' [App.dll] appears twice."], result.ErrorLines);
    }
}
