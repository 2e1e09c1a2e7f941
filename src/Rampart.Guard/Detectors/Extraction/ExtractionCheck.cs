using System.Collections.Immutable;
using System.Globalization;
using Rampart.Guard.Pipeline;
using Rampart.Text.Statistics;

namespace Rampart.Guard.Detectors.Extraction;

/// <summary>
/// Protects a classic model's predict endpoint, per principal: PRADA (RAMP-GUARD-101: the Shapiro-Wilk W of each
/// client's minimum distances between a new query and its earlier ones falls below delta; Juuti et al., EuroS&amp;P
/// 2019; on rows of at least <see cref="ExtractionOptions.MinFeaturesForPrada"/> features), the query budget (102), feature-space coverage (103), bursts of near-duplicate queries (104: membership and
/// inversion probing), near-duplicate probing of predict_proba (105: confidence probing) and inputs outside the
/// training profile (107: adversarial inputs). Every signal carries its score, threshold and reason. A PRADA alarm
/// blocks; the others annotate.
/// </summary>
public sealed class ExtractionCheck(IExtractionStateStore store, ExtractionOptions options) : IInputCheck
{
    public const string PradaRuleId = "RAMP-GUARD-101";
    public const string BudgetRuleId = "RAMP-GUARD-102";
    public const string CoverageRuleId = "RAMP-GUARD-103";
    public const string BurstRuleId = "RAMP-GUARD-104";
    public const string ConfidenceProbingRuleId = "RAMP-GUARD-105";
    public const string OutOfProfileRuleId = "RAMP-GUARD-107";

    private readonly IExtractionStateStore _store = store ?? throw new ArgumentNullException(nameof(store));
    private readonly ExtractionOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    public string Id => "model-extraction";

    public async ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Payload is not PredictPayload predict)
        {
            return GuardDecision.Allow;
        }

        var principal = request.Principal.Id;
        var signals = new List<GuardSignal>();
        var block = false;
        foreach (var row in predict.Instances)
        {
            var vector = Vector(row);
            OutOfProfile(row, signals);
            var state = await _store.GetAsync(principal, cancellationToken).ConfigureAwait(false);
            double? min = state.Recent.IsEmpty ? null : state.Recent.Min(v => Distance(v, vector));
            var near = min is { } m && m <= _options.NearDuplicateRadius;
            var forPrada = state.Recent.Length >= Math.Min(_options.MinEarlierQueries, _options.MaxRecent) ? min : null;
            await _store.AddAsync(principal, new QueryRecord(vector, forPrada, Cell(vector), near, request.ReceivedAt), cancellationToken).ConfigureAwait(false);
        }

        var after = await _store.GetAsync(principal, cancellationToken).ConfigureAwait(false);
        var dimensions = predict.Instances.IsDefaultOrEmpty ? 0 : predict.Instances.Max(r => r.Length);
        if (after.Distances.Length >= _options.MinDistancesForTest && dimensions >= _options.MinFeaturesForPrada)
        {
            var w = ShapiroWilk.W(after.Distances);
            if (w < _options.PradaDelta)
            {
                block = true;
                signals.Add(new GuardSignal(PradaRuleId, 1 - w, F($"PRADA: Shapiro-Wilk W = {w:0.000} of the last {after.Distances.Length} minimum query distances is below delta {_options.PradaDelta:0.000} after {after.Count} queries")));
            }
        }

        if (after.Count > _options.QueryBudget)
        {
            signals.Add(new GuardSignal(BudgetRuleId, 1, F($"{after.Count} queries exceed the budget of {_options.QueryBudget} for this principal")));
        }

        if (after.DistinctCells > _options.CoverageCells)
        {
            signals.Add(new GuardSignal(CoverageRuleId, Math.Min(1, (double)after.DistinctCells / (2 * _options.CoverageCells)), F($"queries cover {after.DistinctCells} cells of feature space (threshold {_options.CoverageCells})")));
        }

        var since = request.ReceivedAt - _options.BurstWindow;
        var burst = after.NearDuplicates.Count(t => t >= since);
        if (burst >= _options.BurstCount)
        {
            signals.Add(new GuardSignal(BurstRuleId, Math.Min(1, (double)burst / (2 * _options.BurstCount)), F($"{burst} near-duplicate queries (distance <= {_options.NearDuplicateRadius}) within {_options.BurstWindow.TotalMinutes:0} minutes (threshold {_options.BurstCount})")));
            if (request.Operation.Contains("proba", StringComparison.OrdinalIgnoreCase) || request.Operation.Contains("score", StringComparison.OrdinalIgnoreCase))
            {
                signals.Add(new GuardSignal(ConfidenceProbingRuleId, Math.Min(1, (double)burst / (2 * _options.BurstCount)), F($"near-duplicate queries read class probabilities ({request.Operation}): confidence probing for membership inference or inversion")));
            }
        }

        if (signals.Count == 0)
        {
            return GuardDecision.Allow;
        }

        return new GuardDecision(block ? GuardAction.Block : GuardAction.Annotate, [.. signals]);
    }

    private void OutOfProfile(ImmutableArray<FeatureValue> row, List<GuardSignal> signals)
    {
        if (_options.FeatureRanges.IsDefaultOrEmpty)
        {
            return;
        }

        var outside = 0;
        var first = -1;
        for (var i = 0; i < row.Length && i < _options.FeatureRanges.Length; i++)
        {
            if (row[i].Number is { } x && (x < _options.FeatureRanges[i].Low || x > _options.FeatureRanges[i].High || !double.IsFinite(x)))
            {
                outside++;
                first = first < 0 ? i : first;
            }
        }

        if (outside > 0)
        {
            signals.Add(new GuardSignal(OutOfProfileRuleId, Math.Min(1, (double)outside / Math.Max(1, row.Length)), F($"{outside} feature(s) outside the training profile's range (first: feature {first})")));
        }
    }

    private float[] Vector(ImmutableArray<FeatureValue> row)
    {
        var v = new float[row.Length];
        for (var i = 0; i < row.Length; i++)
        {
            var scale = i < _options.FeatureScales.Length && _options.FeatureScales[i] > 0 ? _options.FeatureScales[i] : 1;
            var x = row[i].Number ?? (row[i].Text is { } t ? (t.GetHashCode(StringComparison.Ordinal) & 0xFF) : 0);
            v[i] = (float)(double.IsFinite(x) ? x / scale : 0);
        }

        return v;
    }

    /// <summary>Euclidean distance divided by sqrt(dimensions), so radii mean the same for any feature count.</summary>
    private static double Distance(float[] a, float[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }

        return n == 0 ? 0 : Math.Sqrt(sum / n);
    }

    private static long Cell(float[] v)
    {
        long cell = 17;
        for (var i = 0; i < v.Length && i < 8; i++)
        {
            cell = (cell * 31) + (long)Math.Clamp(Math.Floor(v[i] / 0.75) + 2, 0, 3);
        }

        return cell;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
