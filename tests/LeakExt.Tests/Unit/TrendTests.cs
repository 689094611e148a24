using LeakExt.Core.Growth;

namespace LeakExt.Tests.Unit;

/// <summary>The leak/plateau classifier on synthetic series: clean, noisy, short, and starting from zero.</summary>
public sealed class TrendTests
{
    private static double[] Noisy(Random random, IEnumerable<double> values, double amplitude) =>
        values.Select(v => v * (1 + amplitude * (2 * random.NextDouble() - 1))).ToArray();

    [Theory]
    [InlineData(new double[] { 100, 200, 300, 400, 500, 600 }, Trend.Leak)]
    [InlineData(new double[] { 0, 1000, 2000, 3000 }, Trend.Leak)]
    [InlineData(new double[] { 100, 1100, 1600, 1800, 1850, 1860 }, Trend.Plateau)]
    [InlineData(new double[] { 0, 5000, 5000 }, Trend.Plateau)]
    [InlineData(new double[] { 500, 500, 500, 500 }, Trend.Stable)]
    [InlineData(new double[] { 500, 503, 498, 501, 499 }, Trend.Stable)]
    [InlineData(new double[] { 900, 700, 500, 300 }, Trend.Shrinking)]
    [InlineData(new double[] { 0, 0, 0 }, Trend.Stable)]
    [InlineData(new double[] { 100, 300 }, Trend.Insufficient)]
    [InlineData(new double[] { 100, 100 }, Trend.Stable)]
    [InlineData(new double[] { 1000, 1010, 1020, 1030 }, Trend.Leak)]
    [InlineData(new double[] { 1000, 1000, 1000, 1500, 2000 }, Trend.Leak)]
    public void Clean_series(double[] values, Trend expected) =>
        Assert.Equal(expected, TrendClassifier.Classify(values));

    [Fact]
    public void Noise_does_not_make_a_leak_and_does_not_hide_one()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 200; trial++)
        {
            double[] flat = Noisy(random, Enumerable.Repeat(10_000.0, 6), 0.01);
            Assert.Equal(Trend.Stable, TrendClassifier.Classify(flat));

            double[] leak = Noisy(random, Enumerable.Range(0, 6).Select(i => 10_000.0 + 4_000 * i), 0.01);
            Assert.Equal(Trend.Leak, TrendClassifier.Classify(leak));

            double[] plateau = Noisy(random, [1_000, 20_000, 28_000, 30_000, 30_200, 30_250], 0.005);
            Assert.Equal(Trend.Plateau, TrendClassifier.Classify(plateau));
        }
    }

    [Fact]
    public void Uneven_times_count()
    {
        // Same values; in time order the late growth is as fast as the early one (a leak), not a slowdown.
        double[] values = [0, 100, 200, 220];
        Assert.Equal(Trend.Plateau, TrendClassifier.Classify(values));
        Assert.Equal(Trend.Leak, TrendClassifier.Classify(values, [0, 10, 20, 22]));
    }

    [Fact]
    public void Sparklines_scale_from_lowest_to_highest()
    {
        Assert.Equal("▁▃▆█", Sparkline.Render([0, 1, 2, 3]));
        Assert.Equal("▁▁▁", Sparkline.Render([5, 5, 5]));
        Assert.Equal("", Sparkline.Render([]));
    }
}
