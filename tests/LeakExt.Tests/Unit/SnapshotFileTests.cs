using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Commands;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;
using static LeakExt.Tests.Infrastructure.SyntheticSnapshots;

namespace LeakExt.Tests.Unit;

public sealed class SnapshotFileTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void A_hundred_thousand_rows_round_trip()
    {
        var types = Enumerable.Range(0, 100_000).Select(i => Type($"Generated.Type{i}<System.String>", i + 1, (i + 1) * 24L, module: $"Module{i % 37}.dll", dead: i % 3)).ToArray();
        Snapshot snapshot = Make("big", types);
        string path = Path.Combine(Path.GetTempPath(), $"leakext-big-{Environment.ProcessId}.leaksnap");
        try
        {
            SnapshotFile.Write(snapshot, path);
            Snapshot loaded = SnapshotFile.Read(path);
            Assert.Equal(100_000, loaded.Types.Count);
            for (int i = 0; i < types.Length; i += 997)
            {
                TypeStats expected = snapshot.Types[i], actual = loaded.Types[i];
                Assert.Equal((expected.Type, expected.Module, expected.Count, expected.Bytes, expected.DeadCount, expected.DeadBytes),
                    (actual.Type, actual.Module, actual.Count, actual.Bytes, actual.DeadCount, actual.DeadBytes));
                Assert.Equal(expected.CountByGeneration, actual.CountByGeneration);
            }
            Assert.Equal(snapshot.Info, loaded.Info);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Both reasons a stack was scanned conservatively survive the file and each gets its own note.</summary>
    [Fact]
    public void Conservatively_scanned_threads_round_trip_and_each_reason_has_its_note()
    {
        Snapshot snapshot = Make("scanned", Type("App.Order", 3, 72)) with { Diagnostics = new SnapshotDiagnostics(0, 0, 0, 0, 3, 2) };
        string path = Path.Combine(Path.GetTempPath(), $"leakext-scanned-{Environment.ProcessId}.leaksnap");
        try
        {
            SnapshotFile.Write(snapshot, path);
            Assert.Equal(snapshot.Diagnostics, SnapshotFile.Read(path).Diagnostics);
        }
        finally
        {
            File.Delete(path);
        }
        var output = new StringCommandOutput();
        SnapshotRenderer.Render(SnapshotResult.From(new StoredSnapshot(1, snapshot, null), 20), new TextOutput(output));
        string[] notes = output.Text.Split('\n').Where(line => line.StartsWith("Note: ")).ToArray();
        Assert.Equal(["Note: 1 thread was throwing an exception; the runtime's stack walk crashes on such a thread, so its stack was scanned conservatively (holders say 'conservative scan').",
                      "Note: 2 threads were stopped in code the runtime's stack walk cannot name (mid-JIT or in a stub), where the walk ends early, so their whole stacks were scanned conservatively (holders say 'conservative scan')."],
            notes.Select(n => n.TrimEnd('\r')).ToArray());
    }
}
