using System.Collections.Immutable;

namespace Rampart.Guard.Detectors.Extraction;

/// <summary>
/// Thresholds and bounds of the classic-model protection check. Distances are measured after scaling each feature by
/// <see cref="FeatureScales"/> (the training data's standard deviations, from a drift profile); without scales, raw units.
/// </summary>
public sealed record ExtractionOptions
{
    /// <summary>Principals tracked in memory; the least recently seen is forgotten first.</summary>
    public int MaxPrincipals { get; init; } = 10_000;

    /// <summary>Recent query vectors kept per principal: PRADA's minimum distance is taken over these.</summary>
    public int MaxRecent { get; init; } = 64;

    /// <summary>Minimum distances kept per principal for the normality test.</summary>
    public int MaxDistances { get; init; } = 256;

    /// <summary>Distinct coverage cells counted per principal.</summary>
    public int MaxCells { get; init; } = 4096;

    /// <summary>PRADA tests only once this many distances are known (the paper's minimum is of this order).</summary>
    public int MinDistancesForTest { get; init; } = 30;

    /// <summary>PRADA's delta: an alarm when the Shapiro-Wilk W of the distances falls below it.</summary>
    public double PradaDelta { get; init; } = 0.87;

    /// <summary>Queries per principal before RAMP-GUARD-102 (query budget) fires.</summary>
    public long QueryBudget { get; init; } = 100_000;

    /// <summary>Distinct coverage cells (4 bins per scaled feature over the first 8 features) before RAMP-GUARD-103 fires.</summary>
    public int CoverageCells { get; init; } = 2_000;

    /// <summary>A query within this scaled distance of an earlier one is a near duplicate.</summary>
    public double NearDuplicateRadius { get; init; } = 0.05;

    /// <summary>Near duplicates within <see cref="BurstWindow"/> that make a burst (RAMP-GUARD-104).</summary>
    public int BurstCount { get; init; } = 20;

    public TimeSpan BurstWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Per-feature scales (standard deviations); empty means 1 for every feature.</summary>
    public ImmutableArray<double> FeatureScales { get; init; } = [];

    /// <summary>Per-feature accepted ranges [low, high] from the training profile; empty disables RAMP-GUARD-107.</summary>
    public ImmutableArray<(double Low, double High)> FeatureRanges { get; init; } = [];

    /// <summary>
    /// These options with scales and ranges taken from a training profile (`rampart profile build`), in the order of
    /// <paramref name="featureOrder"/>: scale = interquartile range / 1.349 (the normal-equivalent standard deviation,
    /// robust to outliers), range = [min, max] widened by <paramref name="margin"/> of the span on each side.
    /// Categorical or unknown features get scale 1 and an unbounded range.
    /// </summary>
    public ExtractionOptions WithProfile(Drift.DataProfile profile, IReadOnlyList<string> featureOrder, double margin = 0.05)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(featureOrder);
        var scales = ImmutableArray.CreateBuilder<double>();
        var ranges = ImmutableArray.CreateBuilder<(double, double)>();
        foreach (var name in featureOrder)
        {
            var f = profile.Features.FirstOrDefault(x => x.Name == name && x.IsNumeric && x.Sketch.Count > 0);
            if (f is null)
            {
                scales.Add(1);
                ranges.Add((double.NegativeInfinity, double.PositiveInfinity));
                continue;
            }

            var iqr = f.Sketch.Quantile(0.75) - f.Sketch.Quantile(0.25);
            scales.Add(iqr > 0 ? iqr / 1.349 : 1);
            var span = f.Sketch.Max - f.Sketch.Min;
            ranges.Add((f.Sketch.Min - (margin * span), f.Sketch.Max + (margin * span)));
        }

        return this with { FeatureScales = scales.ToImmutable(), FeatureRanges = ranges.ToImmutable() };
    }
}
