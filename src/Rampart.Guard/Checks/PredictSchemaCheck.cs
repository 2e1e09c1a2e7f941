using System.Globalization;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>
/// Validates the rows of a classic predict request against a <see cref="ModelProfile"/>: batch size, feature count and
/// names, types, ranges and allowed values. Out-of-distribution and malformed rows are how decision boundaries are
/// probed (extraction, evasion) and how parsers downstream are attacked; they are blocked before reaching the model.
/// Only the first few problems are reported.
/// </summary>
public sealed class PredictSchemaCheck(ModelProfile profile) : IInputCheck
{
    private const int MaxReported = 5;
    private readonly ModelProfile _profile = profile ?? throw new ArgumentNullException(nameof(profile));

    public string Id => "predict-schema";

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Payload is not PredictPayload rows)
        {
            return ValueTask.FromResult(GuardDecision.Allow);
        }

        var signals = new List<GuardSignal>();
        if (_profile.MaxBatch > 0 && rows.Instances.Length > _profile.MaxBatch)
        {
            signals.Add(new GuardSignal(GuardRuleIds.PredictSchema, 1, $"a batch of {rows.Instances.Length} rows; model {_profile.Model} accepts at most {_profile.MaxBatch}"));
        }

        var features = _profile.Features;
        if (!rows.FeatureNames.IsEmpty && rows.FeatureNames.Length == features.Length)
        {
            var unknown = rows.FeatureNames.Where(n => !features.Any(f => f.Name == n)).Take(3).ToList();
            if (unknown.Count > 0)
            {
                signals.Add(new GuardSignal(GuardRuleIds.PredictSchema, 1, $"unknown feature(s) {string.Join(", ", unknown)} for model {_profile.Model}"));
            }
        }

        for (var r = 0; r < rows.Instances.Length && signals.Count < MaxReported; r++)
        {
            var row = rows.Instances[r];
            if (row.Length != features.Length)
            {
                signals.Add(new GuardSignal(GuardRuleIds.PredictSchema, 1, $"row {r} has {row.Length} features; model {_profile.Model} takes {features.Length}"));
                continue;
            }

            for (var c = 0; c < row.Length && signals.Count < MaxReported; c++)
            {
                // Named rows are matched by name (any order); unnamed ones by position.
                var spec = rows.FeatureNames.IsEmpty ? features[c] : features.FirstOrDefault(f => f.Name == rows.FeatureNames[c]);
                if (spec is not null && Violation(spec, row[c]) is { } problem)
                {
                    signals.Add(new GuardSignal(problem.Range ? GuardRuleIds.PredictRange : GuardRuleIds.PredictSchema, 1, $"row {r}, feature {spec.Name}: {problem.Reason}"));
                }
            }
        }

        return ValueTask.FromResult(signals.Count == 0 ? GuardDecision.Allow : GuardDecision.Block([.. signals]));
    }

    private static (bool Range, string Reason)? Violation(FeatureSpec spec, FeatureValue value)
    {
        if (value.IsMissing)
        {
            return spec.Nullable ? null : (false, "missing, and the feature is not nullable");
        }

        switch (spec.Type)
        {
            case FeatureType.Text:
                if (value.Text is null)
                {
                    return (false, "a number where text is expected");
                }

                return !spec.Allowed.IsDefaultOrEmpty && !spec.Allowed.Contains(value.Text, StringComparer.Ordinal)
                    ? (true, "a value outside the allowed set")
                    : null;
            case FeatureType.Boolean:
                return value.Number is 0 or 1 ? null : (false, "not a boolean");
            default:
                if (value.Number is not { } n)
                {
                    return (false, "text where a number is expected");
                }

                if (!double.IsFinite(n))
                {
                    return (true, "not a finite number");
                }

                if (spec.Type == FeatureType.WholeNumber && Math.Floor(n) != n)
                {
                    return (false, "a fraction where an integer is expected");
                }

                return (spec.Min is { } min && n < min) || (spec.Max is { } max && n > max)
                    ? (true, $"{n.ToString("G6", CultureInfo.InvariantCulture)} is outside [{spec.Min?.ToString(CultureInfo.InvariantCulture) ?? "-inf"}, {spec.Max?.ToString(CultureInfo.InvariantCulture) ?? "inf"}]")
                    : null;
        }
    }
}
