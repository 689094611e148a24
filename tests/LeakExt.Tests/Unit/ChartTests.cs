using LeakExt.Commands.Rendering;

namespace LeakExt.Tests.Unit;

/// <summary>The HTML report's charts: round ticks, units for the range, one chart per scale.</summary>
public sealed class ChartTests
{
    [Theory]
    [InlineData(14.4, 5, 5)]
    [InlineData(67, 5, 20)]
    [InlineData(0.9, 5, 0.2)]
    [InlineData(130, 8, 20)]
    [InlineData(7, 8, 1)]
    public void Steps_are_one_two_or_five_times_a_power_of_ten(double range, int ticks, double step)
    {
        Assert.Equal(step, SvgChart.NiceStep(range, ticks), 9);
    }

    [Fact]
    public void Units_follow_the_range()
    {
        Assert.Equal((1.0, "s"), SvgChart.TimeUnit(90));
        Assert.Equal((60.0, "min"), SvgChart.TimeUnit(1800));
        Assert.Equal((3600.0, "h"), SvgChart.TimeUnit(36_000));
        Assert.Equal((1024.0 * 1024, "MiB"), SvgChart.ByteUnit(2L << 20));
        Assert.Equal((1024.0, "KiB"), SvgChart.ByteUnit(300_000));
    }

    [Fact]
    public void A_two_MiB_leak_gets_its_own_chart_beside_67_MiB_of_native_memory()
    {
        var native = new ChartSeries("non-GC memory", [60L << 20, 64L << 20, 67L << 20]);
        var gc = new ChartSeries("GC memory", [10L << 20, 11L << 20, 12L << 20]);
        var live = new ChartSeries("live managed", [1L << 20, 3L << 19, 2L << 20]);
        List<List<ChartSeries>> groups = SvgChart.ByScale([live, native, gc]);
        Assert.Equal([["non-GC memory", "GC memory"], ["live managed"]], groups.Select(g => g.Select(s => s.Name).ToArray()).ToArray());
    }
}
