using System.Collections.Immutable;

namespace Rampart.Text.Injection;

/// <summary>Confusion counts of a binary detector over labelled texts, with the usual ratios (NaN where undefined).</summary>
public sealed record DetectionMetrics(string Source, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public int Total => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    public int Positives => TruePositives + FalseNegatives;

    public int Negatives => TrueNegatives + FalsePositives;

    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    public double Recall => Ratio(TruePositives, Positives);

    public double F1 => Precision + Recall is var s && s > 0 ? 2 * Precision * Recall / s : double.NaN;

    /// <summary>Share of benign texts flagged.</summary>
    public double FalsePositiveRate => Ratio(FalsePositives, Negatives);

    public DetectionMetrics Add(bool label, bool predicted) => (label, predicted) switch
    {
        (true, true) => this with { TruePositives = TruePositives + 1 },
        (true, false) => this with { FalseNegatives = FalseNegatives + 1 },
        (false, true) => this with { FalsePositives = FalsePositives + 1 },
        _ => this with { TrueNegatives = TrueNegatives + 1 },
    };

    /// <summary>Metrics overall (source "all") and per source, in source order.</summary>
    public static ImmutableArray<DetectionMetrics> Compute(IEnumerable<(string Source, bool Label, bool Predicted)> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var all = new DetectionMetrics("all", 0, 0, 0, 0);
        var bySource = new SortedDictionary<string, DetectionMetrics>(StringComparer.Ordinal);
        foreach (var (source, label, predicted) in outcomes)
        {
            all = all.Add(label, predicted);
            bySource[source] = bySource.GetValueOrDefault(source, new DetectionMetrics(source, 0, 0, 0, 0)).Add(label, predicted);
        }

        return [all, .. bySource.Values];
    }

    private static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
}
