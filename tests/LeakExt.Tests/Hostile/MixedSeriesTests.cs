using LeakExt.Core.Snapshots;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;
using static LeakExt.Tests.Infrastructure.SyntheticSnapshots;

namespace LeakExt.Tests.Hostile;

/// <summary>heapgrowth compares one process over time: another process, runtime version or pointer size is refused, naming the file, unless -mixed.</summary>
public sealed class MixedSeriesTests : IDisposable
{
    private readonly Planted _planted = new();

    public void Dispose() => _planted.Dispose();

    /// <summary>Three snapshots a minute apart of process 4242 (.NET 10.0.12, 64-bit), the third changed by <paramref name="change"/>.</summary>
    private string Series(Func<SnapshotInfo, SnapshotInfo> change)
    {
        for (int i = 0; i < 3; i++)
        {
            Snapshot snapshot = Make($"s{i + 1}", Type("Shop.Order", 1000 * (i + 1), 48_000L * (i + 1)));
            SnapshotInfo info = snapshot.Info with { TakenAt = Noon.AddMinutes(i) };
            SnapshotFile.Write(snapshot with { Info = i == 2 ? change(info) : info }, _planted.PathOf($"s{i + 1}.leaksnap"));
        }
        return _planted.PathOf("s3.leaksnap");
    }

    [Theory]
    [InlineData("process", "is from process 977, the series before it from process 4242")]
    [InlineData("runtime", "is from .NET 9.0.4, the series before it from .NET 10.0.12")]
    [InlineData("pointer", "has 32-bit pointers, the series before it 64-bit")]
    public void A_snapshot_of_something_else_is_refused_unless_mixed(string what, string expected)
    {
        string odd = Series(info => what switch
        {
            "process" => info with { ProcessId = 977 },
            "runtime" => info with { RuntimeVersion = "9.0.4" },
            _ => info with { PointerSize = 4 },
        });
        CliResult refused = CliRunner.Run("heapgrowth", _planted.Folder);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal([$"error: heapgrowth: '{odd}' {expected}; pass -mixed to treat them as one series anyway."], refused.ErrorLines);

        CliResult inSession = CliRunner.Run("-c", $"heapgrowth {_planted.PathOf("s1.leaksnap")} {_planted.PathOf("s2.leaksnap")} {odd} -json");
        Assert.Equal(1, inSession.ExitCode);
        Assert.Contains(expected, Sessions.Json(inSession.Out).GetProperty("error").GetString());

        CliResult mixed = CliRunner.Run("heapgrowth", _planted.Folder, "--mixed", "--json");
        Assert.True(mixed.ExitCode == 0, mixed.Errors);
        Assert.Equal(3, Sessions.Json(mixed.Out).GetProperty("totals").GetArrayLength());
    }

    [Fact]
    public void One_process_over_time_is_a_series()
    {
        Series(info => info);
        CliResult result = CliRunner.Run("heapgrowth", _planted.Folder, "--json");
        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Equal(3, Sessions.Json(result.Out).GetProperty("totals").GetArrayLength());
    }
}
