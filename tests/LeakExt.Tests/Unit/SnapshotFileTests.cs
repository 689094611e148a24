using LeakExt.Core.Snapshots;
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
}
