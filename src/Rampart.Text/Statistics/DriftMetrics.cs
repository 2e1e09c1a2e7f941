namespace Rampart.Text.Statistics;

/// <summary>Population stability index, Kolmogorov-Smirnov distance and Jensen-Shannon divergence between a reference and a current distribution.</summary>
public static class DriftMetrics
{
    private const double Epsilon = 1e-4;

    /// <summary>PSI over matching bins of two probability vectors (empty bins smoothed by a small epsilon).</summary>
    public static double Psi(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        Check(reference, current);
        double psi = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            var p = Math.Max(reference[i], Epsilon);
            var q = Math.Max(current[i], Epsilon);
            psi += (q - p) * Math.Log(q / p);
        }

        return psi;
    }

    /// <summary>Jensen-Shannon divergence in bits (0 same, 1 disjoint).</summary>
    public static double JensenShannon(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        Check(reference, current);
        double js = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            var m = (reference[i] + current[i]) / 2;
            js += (Term(reference[i], m) + Term(current[i], m)) / 2;
        }

        return Math.Max(0, js);
    }

    /// <summary>KS statistic: the largest gap between the two sketches' CDFs over every retained point of either.</summary>
    public static double KolmogorovSmirnov(KllSketch reference, KllSketch current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        var points = reference.Items().Select(i => i.Value).Concat(current.Items().Select(i => i.Value)).Distinct().Order().ToArray();
        var a = Cdf(reference, points);
        var b = Cdf(current, points);
        double d = 0;
        for (var i = 0; i < points.Length; i++)
        {
            d = Math.Max(d, Math.Abs(a[i] - b[i]));
        }

        return d;
    }

    /// <summary>Fractions of <paramref name="sketch"/> in the bins delimited by <paramref name="edges"/> (n edges, n + 1 bins).</summary>
    public static double[] Histogram(KllSketch sketch, IReadOnlyList<double> edges)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        ArgumentNullException.ThrowIfNull(edges);
        var counts = new double[edges.Count + 1];
        double total = 0;
        foreach (var (v, w) in sketch.Items())
        {
            var bin = 0;
            while (bin < edges.Count && v > edges[bin])
            {
                bin++;
            }

            counts[bin] += w;
            total += w;
        }

        return total == 0 ? counts : [.. counts.Select(c => c / total)];
    }

    private static double[] Cdf(KllSketch sketch, double[] points)
    {
        var items = sketch.Items().OrderBy(i => i.Value).ToArray();
        var total = (double)items.Sum(i => i.Weight);
        var result = new double[points.Length];
        long cumulative = 0;
        var j = 0;
        for (var i = 0; i < points.Length; i++)
        {
            while (j < items.Length && items[j].Value <= points[i])
            {
                cumulative += items[j].Weight;
                j++;
            }

            result[i] = total == 0 ? 0 : cumulative / total;
        }

        return result;
    }

    private static double Term(double p, double m) => p <= 0 ? 0 : p * Math.Log2(p / m);

    private static void Check(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException("distributions must have the same bins");
        }
    }
}

/// <summary>
/// Page-Hinkley change detection on a health signal (refusal rate, mean injection score, latency, error rate): alarms
/// when the cumulative deviation above the running mean, less a tolerance delta, exceeds lambda.
/// </summary>
public sealed class PageHinkley(double delta, double lambda)
{
    private double _mean;
    private double _cumulative;
    private double _minimum;

    public long Count { get; private set; }

    /// <summary>Adds an observation; true when the alarm fires (the detector then resets).</summary>
    public bool Add(double x)
    {
        Count++;
        _mean += (x - _mean) / Count;
        _cumulative += x - _mean - delta;
        _minimum = Math.Min(_minimum, _cumulative);
        if (_cumulative - _minimum > lambda)
        {
            (Count, _mean, _cumulative, _minimum) = (0, 0, 0, 0);
            return true;
        }

        return false;
    }
}
