using System.Collections.Immutable;
using System.Globalization;
using Rampart.Guard.Pipeline;
using Rampart.Text.Statistics;

namespace Rampart.Guard.Detectors.Drift;

/// <summary>
/// The live drift monitor as an input check: every row of a predict request goes into a window; when a window is
/// full it is compared with the reference profile and each drifted feature raises RAMP-GUARD-108 (annotate) on the
/// request that completed the window. Feature names come from the payload, or are the column positions ("0", "1", ...)
/// when the protocol does not name them. Thread-safe; one window in memory.
/// </summary>
public sealed class DriftCheck(DataProfile reference, int windowRows) : IInputCheck
{
    public const string DriftRuleId = "RAMP-GUARD-108";

    private readonly WindowedDriftMonitor _monitor = new(reference, windowRows);
    private readonly Lock _lock = new();

    public string Id => "drift";

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Payload is not PredictPayload predict)
        {
            return ValueTask.FromResult(GuardDecision.Allow);
        }

        var signals = new List<GuardSignal>();
        foreach (var instance in predict.Instances)
        {
            var row = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < instance.Length; i++)
            {
                var name = i < predict.FeatureNames.Length ? predict.FeatureNames[i] : i.ToString(CultureInfo.InvariantCulture);
                row[name] = instance[i].Number?.ToString("R", CultureInfo.InvariantCulture) ?? instance[i].Text;
            }

            ImmutableArray<FeatureDrift>? report;
            lock (_lock)
            {
                report = _monitor.Add(row);
            }

            if (report is { } drift)
            {
                signals.AddRange(drift.Where(d => d.Drifted).Select(d =>
                    new GuardSignal(DriftRuleId, double.IsNaN(d.Psi) ? 1 : Math.Min(1, d.Psi), $"feature '{d.Name}' drifted over the last {windowRows} rows: {d.Reason}")));
            }
        }

        return ValueTask.FromResult(signals.Count == 0 ? GuardDecision.Allow : new GuardDecision(GuardAction.Annotate, [.. signals]));
    }
}

/// <summary>
/// Page-Hinkley alarms on the gateway's health signals (RAMP-GUARD-109): refusal rate, mean injection score, latency and
/// error rate, one detector each, fed by the host after every request. An alarm names the signal; the host turns it
/// into a gateway event and an incident record.
/// </summary>
public sealed class HealthMonitor
{
    public const string HealthRuleId = "RAMP-GUARD-109";

    private readonly Dictionary<string, PageHinkley> _detectors;
    private readonly Lock _lock = new();

    /// <summary>Tolerances and alarm levels per signal, in the signal's own unit (rates 0-1, scores 0-1, latency in ms).</summary>
    public HealthMonitor(double rateDelta = 0.02, double rateLambda = 15, double latencyDelta = 5, double latencyLambda = 2_000)
    {
        _detectors = new(StringComparer.Ordinal)
        {
            ["refusal-rate"] = new PageHinkley(rateDelta, rateLambda),
            ["injection-score"] = new PageHinkley(rateDelta, rateLambda),
            ["error-rate"] = new PageHinkley(rateDelta, rateLambda),
            ["latency-ms"] = new PageHinkley(latencyDelta, latencyLambda),
        };
    }

    public static IReadOnlyList<string> Signals { get; } = ["refusal-rate", "injection-score", "error-rate", "latency-ms"];

    /// <summary>Records one request's outcome; returns the signals whose alarm fired.</summary>
    public IReadOnlyList<GuardSignal> Observe(bool refused, double injectionScore, bool error, double latencyMs)
    {
        var fired = new List<GuardSignal>();
        lock (_lock)
        {
            Add("refusal-rate", refused ? 1 : 0, fired);
            Add("injection-score", injectionScore, fired);
            Add("error-rate", error ? 1 : 0, fired);
            Add("latency-ms", latencyMs, fired);
        }

        return fired;
    }

    private void Add(string name, double value, List<GuardSignal> fired)
    {
        if (_detectors[name].Add(value))
        {
            fired.Add(new GuardSignal(HealthRuleId, 1, $"Page-Hinkley alarm: {name} rose above its running level"));
        }
    }
}
