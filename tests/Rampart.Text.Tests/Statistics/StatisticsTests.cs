using Rampart.Text.Statistics;

namespace Rampart.Text.Tests.Statistics;

/// <summary>The pure statistics shared by the runtime guard (drift, PRADA) and dataset diffs: KLL sketch bounds, PSI/JS, Page-Hinkley, the normal quantile.</summary>
public sealed class StatisticsTests
{
    private static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    public static TheoryData<string> Distributions() => ["uniform", "normal", "exponential", "sorted", "reversed", "few-distinct"];

    private static double[] Sample(string kind, int n, int seed)
    {
        var r = new Random(seed);
        return kind switch
        {
            "uniform" => [.. Enumerable.Range(0, n).Select(_ => r.NextDouble())],
            "normal" => [.. Enumerable.Range(0, n).Select(_ => Normal(r))],
            "exponential" => [.. Enumerable.Range(0, n).Select(_ => -Math.Log(1 - r.NextDouble()))],
            "sorted" => [.. Enumerable.Range(0, n).Select(i => (double)i)],
            "reversed" => [.. Enumerable.Range(0, n).Select(i => (double)(n - i))],
            _ => [.. Enumerable.Range(0, n).Select(_ => (double)r.Next(5))],
        };
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Kll_QuantilesOf100kValues_AreWithinTheRankErrorBound(string kind)
    {
        var values = Sample(kind, 100_000, 11);
        var sketch = new KllSketch(k: 200);
        foreach (var v in values)
        {
            sketch.Add(v);
        }

        var sorted = values.Order().ToArray();
        sketch.Count.Should().Be(values.Length);
        sketch.Items().Count().Should().BeLessThan(2_000, "the sketch keeps O(k log n/k) items, not the data");
        foreach (var q in new[] { 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99 })
        {
            var estimate = sketch.Quantile(q);
            // the true rank interval of the estimate (ties give a range)
            var low = (double)LowerBound(sorted, estimate) / sorted.Length;
            var high = (double)UpperBound(sorted, estimate) / sorted.Length;
            var error = q < low ? low - q : q > high ? q - high : 0;
            error.Should().BeLessThan(0.015, $"{kind}: quantile {q}");
        }
    }

    private static int LowerBound(double[] a, double x)
    {
        var i = Array.BinarySearch(a, x);
        if (i < 0)
        {
            return ~i;
        }

        while (i > 0 && a[i - 1] == x)
        {
            i--;
        }

        return i;
    }

    private static int UpperBound(double[] a, double x)
    {
        var i = LowerBound(a, x);
        while (i < a.Length && a[i] == x)
        {
            i++;
        }

        return i;
    }

    [Fact]
    public void Metrics_KnownDistributions()
    {
        double[] p = [0.25, 0.25, 0.25, 0.25];
        DriftMetrics.Psi(p, p).Should().Be(0);
        DriftMetrics.JensenShannon(p, p).Should().BeApproximately(0, 1e-12);
        DriftMetrics.JensenShannon([1, 0], [0, 1]).Should().BeApproximately(1, 1e-12);
        DriftMetrics.Psi([0.5, 0.5], [0.9, 0.1]).Should().BeApproximately((0.4 * Math.Log(0.9 / 0.5)) + (-0.4 * Math.Log(0.1 / 0.5)), 1e-12);
    }

    [Fact]
    public void PageHinkley_StationaryNoise_NoAlarm_StepChange_Alarms()
    {
        var r = new Random(2);
        var detector = new PageHinkley(delta: 0.05, lambda: 5);
        for (var i = 0; i < 2_000; i++)
        {
            detector.Add(0.1 + (Normal(r) * 0.05)).Should().BeFalse($"stationary at {i}");
        }

        var alarmAt = -1;
        for (var i = 0; i < 500 && alarmAt < 0; i++)
        {
            if (detector.Add(0.6 + (Normal(r) * 0.05)))
            {
                alarmAt = i;
            }
        }

        alarmAt.Should().BeInRange(0, 50, "a refusal rate jumping from 10% to 60% is caught within 50 observations");
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(0.975, 1.959964)]
    [InlineData(0.01, -2.326348)]
    [InlineData(0.9999, 3.719016)]
    public void InverseNormal_KnownQuantiles(double p, double z)
    {
        ShapiroWilk.InverseNormal(p).Should().BeApproximately(z, 1e-5);
    }

    [Fact]
    public void ShapiroWilk_TooFewValues_Throws()
    {
        var act = () => ShapiroWilk.W([1.0, 2.0]);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
