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

    /// <summary>
    /// PRADA tests only once this many distances are known. Below 50, the Shapiro-Wilk W of benign distances varies so
    /// much that a test after every query (as here) flags several percent of benign clients (docs/guard.md).
    /// </summary>
    public int MinDistancesForTest { get; init; } = 50;

    /// <summary>
    /// A query's minimum distance enters PRADA's set only when at least this many earlier queries are remembered
    /// (at most <see cref="MaxRecent"/>). A minimum over one, two or three earlier queries is systematically larger than
    /// one over sixteen; those first distances gave every benign set a long right tail that the test read as an attack.
    /// </summary>
    public int MinEarlierQueries { get; init; } = 16;

    /// <summary>
    /// PRADA runs only on predict rows with at least this many features. Its premise, that natural queries' minimum
    /// distances are near normal, holds in many dimensions but not in few: in 2 or 4 dimensions the nearest-neighbour
    /// distance is skewed (Weibull-like) whatever the client does. Below this, the budget, coverage and near-duplicate
    /// signals still run.
    /// </summary>
    public int MinFeaturesForPrada { get; init; } = 8;

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
    /// Scales are floored at half the median scale of the numeric features: a nearly constant feature (an image's
    /// border pixel, a rare flag) would otherwise be divided by a tiny scale and dominate every distance, which made
    /// benign clients look like attackers to PRADA. Categorical or unknown features get scale 1 and an unbounded range.
    /// </summary>
    public ExtractionOptions WithProfile(Drift.DataProfile profile, IReadOnlyList<string> featureOrder, double margin = 0.05)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(featureOrder);
        var features = featureOrder.Select(name => profile.Features.FirstOrDefault(x => x.Name == name && x.IsNumeric && x.Sketch.Count > 0)).ToArray();
        var robust = features.Select(f => f is null ? 0 : (f.Sketch.Quantile(0.75) - f.Sketch.Quantile(0.25)) / 1.349).ToArray();
        var positive = robust.Where(r => r > 0).Order().ToArray();
        var floor = positive.Length == 0 ? 1 : positive[positive.Length / 2] / 2;
        var scales = ImmutableArray.CreateBuilder<double>();
        var ranges = ImmutableArray.CreateBuilder<(double, double)>();
        for (var i = 0; i < features.Length; i++)
        {
            if (features[i] is not { } f)
            {
                scales.Add(1);
                ranges.Add((double.NegativeInfinity, double.PositiveInfinity));
                continue;
            }

            scales.Add(Math.Max(robust[i], floor));
            var span = f.Sketch.Max - f.Sketch.Min;
            ranges.Add((f.Sketch.Min - (margin * span), f.Sketch.Max + (margin * span)));
        }

        return this with { FeatureScales = scales.ToImmutable(), FeatureRanges = ranges.ToImmutable() };
    }
}
