using LeakExt.Core.Growth;

namespace LeakExt.Tests.Unit;

/// <summary>The trend classifier on synthetic series: clean, noisy, short, starting from zero; warm-up, spikes, sawtooths; its error rates under noise.</summary>
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
            Assert.Equal(Trend.Stable, TrendClassifier.Classify(flat.Select(v => v + 500).ToArray()));

            double[] leak = Noisy(random, Enumerable.Range(0, 6).Select(i => 10_000.0 + 4_000 * i), 0.01);
            Assert.Equal(Trend.Leak, TrendClassifier.Classify(leak));

            double[] plateau = Noisy(random, [1_000, 20_000, 28_000, 30_000, 30_200, 30_250], 0.005);
            Assert.Equal(Trend.Plateau, TrendClassifier.Classify(plateau));
        }
    }

    [Theory]
    [InlineData(new double[] { 100, 120, 120, 120, 120, 120 }, 1)]              // warm-up in the first interval
    [InlineData(new double[] { 100, 110, 120, 120.2, 119.9, 120.1 }, 2)]        // in the first two
    [InlineData(new double[] { 1000, 2300, 2650, 2800, 2850, 2870 }, 1)]        // a cache filling, slower and slower after #2
    public void Growth_that_stops_is_a_plateau_and_says_where(double[] values, int from)
    {
        TrendFit fit = TrendClassifier.Fit(values, null, 5);
        Assert.Equal(Trend.Plateau, fit.Trend);
        Assert.Equal(from, fit.LevelsOffFrom);
        Assert.InRange(fit.LevelsOffAt!.Value, values[^1] - 30, values[^1] + 30);
    }

    [Theory]
    [InlineData(new double[] { 100, 100, 300, 100, 100, 100 })]                  // a spike, released
    [InlineData(new double[] { 100, 200, 300, 100, 200, 300, 100, 200 })]        // a cache cleared every third snapshot
    [InlineData(new double[] { 100, 140, 90, 130, 95, 125 })]                    // bounded, wandering
    public void What_comes_back_down_is_stable(double[] values) =>
        Assert.Equal(Trend.Stable, TrendClassifier.Fit(values, null, 2).Trend);

    /// <summary>
    /// Error rates under noise, over 2,000 seeded series each: these are the numbers docs/heapgrowth.md
    /// quotes. A 0.5%-per-snapshot leak under ±2% uniform noise (a rise smaller than the noise's span)
    /// is told in about three series of four at 8 snapshots and nearly always at 12; pure noise is
    /// called a leak in about one series of twenty (the test's 95% level) and a plateau in about one of a hundred.
    /// </summary>
    [Fact]
    public void Error_rates_under_noise()
    {
        var random = new Random(12);
        double Uniform() => 2 * random.NextDouble() - 1;
        double Rate(int n, double pace, Trend trend)
        {
            int hits = 0;
            for (int trial = 0; trial < 2000; trial++)
            {
                double[] values = Enumerable.Range(0, n).Select(i => 40e6 * (1 + pace * i) * (1 + 0.02 * Uniform())).ToArray();
                if (TrendClassifier.Fit(values, null, Math.Max(256 * 1024, 0.01 * values.Max())).Trend == trend)
                    hits++;
            }
            return hits / 2000.0;
        }
        Assert.InRange(Rate(8, 0.005, Trend.Leak), 0.70, 0.82);
        Assert.InRange(Rate(12, 0.005, Trend.Leak), 0.96, 1.0);
        Assert.InRange(Rate(8, 0, Trend.Leak), 0.02, 0.07);
        Assert.InRange(Rate(8, 0, Trend.Plateau), 0.0, 0.02);
        Assert.InRange(Rate(6, 0.05, Trend.Leak), 0.96, 1.0);
    }

    [Fact]
    public void A_trend_hidden_by_noise_says_how_many_more_snapshots_would_show_it()
    {
        TrendFit fit = TrendClassifier.Fit([100, 104, 105, 110, 106], null, 2);
        Assert.Equal(Trend.Unclear, fit.Trend);
        Assert.Equal(Confidence.Low, fit.Confidence);
        Assert.Equal(1, fit.MoreSnapshots);
    }

    [Fact]
    public void Confidence_follows_the_evidence()
    {
        Assert.Equal(Confidence.High, TrendClassifier.Fit([100, 200, 300, 400, 500, 600], null, 10).Confidence);
        Assert.Equal(Confidence.Medium, TrendClassifier.Fit([100, 200, 300], null, 10).Confidence);
        TrendFit two = TrendClassifier.Fit([100, 200], [0, 60], 10);
        Assert.Equal((Trend.Insufficient, 1, 100.0), (two.Trend, two.MoreSnapshots, two.PerMinute));
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
