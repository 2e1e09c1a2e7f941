using System.Collections.Immutable;
using Rampart.Text.Statistics;

namespace Rampart.Guard.Detectors.Drift;

/// <summary>Drift of one feature (or of the predictions) between a reference profile and current data.</summary>
public sealed record FeatureDrift(string Name, bool IsPrediction, double Psi, double KolmogorovSmirnov, double JensenShannon, double MissingRateChange, bool Drifted, string Reason);

/// <summary>
/// Compares current data with a reference profile. A feature has drifted when PSI >= 0.2 (the usual "significant
/// shift" level), or the KS distance exceeds both 0.1 and the two-sample critical value at alpha = 0.001, or its missing
/// rate moved by more than 0.1.
/// </summary>
public static class DriftComparer
{
    public const double PsiThreshold = 0.2;

    public static ImmutableArray<FeatureDrift> Compare(DataProfile reference, DataProfile current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        var result = ImmutableArray.CreateBuilder<FeatureDrift>();
        foreach (var r in reference.Features)
        {
            var c = current.Features.FirstOrDefault(f => f.Name == r.Name);
            if (c is null)
            {
                result.Add(new FeatureDrift(r.Name, r.IsPrediction, double.NaN, double.NaN, double.NaN, 1, true, "column missing from the current data"));
                continue;
            }

            double psi, ks, js;
            if (r.IsNumeric && c.Sketch.Count > 0 && r.Sketch.Count > 0)
            {
                var edges = r.Edges;
                var p = DriftMetrics.Histogram(r.Sketch, edges);
                var q = DriftMetrics.Histogram(c.Sketch, edges);
                (psi, js) = (DriftMetrics.Psi(p, q), DriftMetrics.JensenShannon(p, q));
                ks = DriftMetrics.KolmogorovSmirnov(r.Sketch, c.Sketch);
            }
            else
            {
                var keys = r.TopValues.Keys.ToList();
                var p = Categorical(r, keys);
                var q = Categorical(c, keys);
                (psi, js, ks) = (DriftMetrics.Psi(p, q), DriftMetrics.JensenShannon(p, q), double.NaN);
            }

            var missing = c.MissingRate - r.MissingRate;
            var n = (double)r.Sketch.Count;
            var m = (double)c.Sketch.Count;
            var critical = n > 0 && m > 0 ? 1.949 * Math.Sqrt((n + m) / (n * m)) : 1;
            var reasons = new List<string>();
            if (psi >= PsiThreshold)
            {
                reasons.Add(FormattableString.Invariant($"PSI {psi:0.000} >= {PsiThreshold}"));
            }

            if (!double.IsNaN(ks) && ks > Math.Max(0.1, critical))
            {
                reasons.Add(FormattableString.Invariant($"KS {ks:0.000} > {Math.Max(0.1, critical):0.000}"));
            }

            if (Math.Abs(missing) > 0.1)
            {
                reasons.Add(FormattableString.Invariant($"missing rate changed by {missing:+0.000;-0.000}"));
            }

            result.Add(new FeatureDrift(r.Name, r.IsPrediction, psi, ks, js, missing, reasons.Count > 0, string.Join("; ", reasons)));
        }

        return result.ToImmutable();
    }

    private static double[] Categorical(FeatureProfile f, List<string> keys)
    {
        var present = Math.Max(1, f.Count - f.Missing);
        var values = keys.Select(k => (double)f.TopValues.GetValueOrDefault(k) / present).ToList();
        values.Add(Math.Max(0, 1 - values.Sum()));
        return [.. values];
    }
}

/// <summary>
/// The live monitor: rows of traffic fill a window; when it is full, it is profiled and compared with the reference,
/// and a new window starts. Bounded: one window of sketches at a time.
/// </summary>
public sealed class WindowedDriftMonitor(DataProfile reference, int windowRows, string? predictionColumn = null)
{
    private readonly List<IReadOnlyDictionary<string, string?>> _window = [];

    /// <summary>Adds a row; returns the drift report when this row completes a window, otherwise null.</summary>
    public ImmutableArray<FeatureDrift>? Add(IReadOnlyDictionary<string, string?> row)
    {
        _window.Add(row);
        if (_window.Count < windowRows)
        {
            return null;
        }

        var current = DataProfile.Build(_window, predictionColumn);
        _window.Clear();
        return DriftComparer.Compare(reference, current);
    }
}
