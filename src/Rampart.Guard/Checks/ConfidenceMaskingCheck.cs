using System.Collections.Immutable;
using System.Globalization;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>How much of a classic model's confidence a caller gets to see.</summary>
public enum MaskingMode
{
    /// <summary>Scores rounded to <see cref="ConfidenceMaskingCheck.Decimals"/> decimals.</summary>
    Round,

    /// <summary>Only the k highest scores are kept (rounded); the others become 0, so the shape stays the same.</summary>
    TopK,

    /// <summary>No scores at all: only the label (the class with the highest score where the model gave none).</summary>
    LabelOnly,
}

/// <summary>
/// Confidence masking for classic model outputs. Exact probabilities are what membership-inference and model-extraction
/// attacks feed on; rounding, keeping only the top k, or answering with the label alone costs legitimate callers little
/// and those attacks much. Rewrites the <see cref="PredictionPayload"/> (a redaction with signal RAMP-GUARD-011).
/// </summary>
public sealed class ConfidenceMaskingCheck(MaskingMode mode, int decimals = 2, int k = 1) : IOutputCheck
{
    public string Id => "confidence-masking";

    public int Decimals { get; } = Math.Clamp(decimals, 0, 15);

    public int K { get; } = Math.Max(1, k);

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardResponse response, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Payload is not PredictionPayload payload || payload.Predictions.All(p => p.Scores.IsEmpty))
        {
            return ValueTask.FromResult(GuardDecision.Allow);
        }

        var masked = payload with { Predictions = [.. payload.Predictions.Select(p => Mask(p, payload.ClassNames))] };
        var what = mode switch
        {
            MaskingMode.Round => $"scores rounded to {Decimals} decimals",
            MaskingMode.TopK => $"only the top {K} scores kept, rounded to {Decimals} decimals",
            _ => "scores removed, label only",
        };
        return ValueTask.FromResult(GuardDecision.Redact(masked, new GuardSignal(GuardRuleIds.ConfidenceMasked, 0, what)));
    }

    private Prediction Mask(Prediction p, ImmutableArray<string> classes)
    {
        if (p.Scores.IsEmpty)
        {
            return p;
        }

        switch (mode)
        {
            case MaskingMode.LabelOnly:
                var best = 0;
                for (var i = 1; i < p.Scores.Length; i++)
                {
                    best = p.Scores[i] > p.Scores[best] ? i : best;
                }

                return new Prediction(p.Label ?? (best < classes.Length ? classes[best] : best.ToString(CultureInfo.InvariantCulture)), []);
            case MaskingMode.TopK:
                var keep = p.Scores.Select((s, i) => (s, i)).OrderByDescending(x => x.s).ThenBy(x => x.i).Take(K).Select(x => x.i).ToHashSet();
                return p with { Scores = [.. p.Scores.Select((s, i) => keep.Contains(i) ? Math.Round(s, Decimals) : 0)] };
            default:
                return p with { Scores = [.. p.Scores.Select(s => Math.Round(s, Decimals))] };
        }
    }
}
