using System.Globalization;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Tests.Checks;

/// <summary>
/// The self-test samples of rules/guard/guard-ml.json: each is the name of a scripted traffic scenario (one principal's
/// predict queries, a drift window, a run of health observations), run through the real check; the answer is every
/// rule id raised along the way. Seeded, so a scenario raises the same rules every run.
/// </summary>
internal static class GuardMlScenarios
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Task<HashSet<string>> RaisedAsync(string detector, string scenario) => detector switch
    {
        "guard.extraction" => Extraction(scenario),
        "guard.drift" => Drift(scenario),
        "guard.health" => Task.FromResult(Health(scenario)),
        _ => throw new InvalidOperationException($"no guard-ml scenarios for detector {detector}"),
    };

    private static async Task<HashSet<string>> Extraction(string scenario)
    {
        var random = new Random(11);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var (options, operation, rows) = scenario switch
        {
            // Jacobian-style synthesis: every query one fixed step from the last one along a random axis (16 features:
            // PRADA runs from ExtractionOptions.MinFeaturesForPrada on, and tests from the 66th query)
            "fixed-step-walk" => (new ExtractionOptions(), "predict", Walk(random, 100)),
            "random-queries" => (new ExtractionOptions(), "predict", Rows(200, () => [Normal(), Normal(), Normal(), Normal()])),
            "random-queries-16" => (new ExtractionOptions(), "predict", Rows(200, () => [.. Enumerable.Range(0, 16).Select(_ => Normal())])),
            "random-queries-proba" => (new ExtractionOptions { BurstCount = 10 }, "predict_proba", Rows(200, () => [Normal() * 3, Normal() * 3])),
            "over-budget" => (new ExtractionOptions { QueryBudget = 5, MinDistancesForTest = 1000 }, "predict", Rows(6, () => [Normal() * 10, Normal() * 10])),
            "within-budget" => (new ExtractionOptions { QueryBudget = 5, MinDistancesForTest = 1000 }, "predict", Rows(5, () => [Normal() * 10, Normal() * 10])),
            "feature-sweep" => (new ExtractionOptions { CoverageCells = 50, MinDistancesForTest = 100_000 }, "predict",
                Rows(400, () => [.. Enumerable.Range(0, 8).Select(_ => (random.NextDouble() * 6) - 3)])),
            "clustered-queries" => (new ExtractionOptions { CoverageCells = 50, MinDistancesForTest = 100_000 }, "predict",
                Rows(400, () => [.. Enumerable.Range(0, 8).Select(_ => 0.3 + (random.NextDouble() * 0.2))])),
            "near-duplicates-predict" => (new ExtractionOptions { BurstCount = 10 }, "predict", Probe(12)),
            "near-duplicates-proba" => (new ExtractionOptions { BurstCount = 10 }, "predict_proba", Probe(12)),
            "out-of-range" => (new ExtractionOptions { FeatureRanges = [(0, 1), (0, 1)] }, "predict", [[5.0, 0.5]]),
            "not-a-number" => (new ExtractionOptions { FeatureRanges = [(0, 1), (0, 1)] }, "predict", [[double.NaN, 0.5]]),
            "in-range" => (new ExtractionOptions { FeatureRanges = [(0, 1), (0, 1)] }, "predict", [[0.5, 0.5], [0.1, 0.9]]),
            "near-duplicates-slow" => (new ExtractionOptions { BurstCount = 10, BurstWindow = TimeSpan.FromMinutes(1) }, "predict", Probe(12)),
            _ => throw new InvalidOperationException($"no extraction scenario '{scenario}'"),
        };
        var spacing = scenario == "near-duplicates-slow" ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(1);
        var check = new ExtractionCheck(new InMemoryExtractionStateStore(options), options);
        var raised = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var request = new GuardRequest("self", new GuardPrincipal("client", []), "/v2/models/m/infer", "m", operation, GuardProtocol.InferenceV2,
                new PredictPayload([[.. rows[i].Select(FeatureValue.Of)]], []), T0 + (spacing * i));
            var decision = await check.CheckAsync(request, GuardContext.System, CancellationToken.None);
            raised.UnionWith(decision.Signals.Select(s => s.RuleId));
        }

        return raised;
    }

    private static List<double[]> Rows(int count, Func<double[]> next) => [.. Enumerable.Range(0, count).Select(_ => next())];

    private static List<double[]> Walk(Random random, int count)
    {
        var x = new double[16];
        var rows = new List<double[]>();
        for (var i = 0; i < count; i++)
        {
            x = (double[])x.Clone();
            x[random.Next(x.Length)] += random.Next(2) == 0 ? 0.5 : -0.5;
            rows.Add(x);
        }

        return rows;
    }

    /// <summary>Systematic perturbation around one record: membership or inversion probing.</summary>
    private static List<double[]> Probe(int count) => [.. Enumerable.Range(0, count).Select(i => new[] { 5.0 + (i * 0.001), 3.0 })];

    private static async Task<HashSet<string>> Drift(string scenario)
    {
        var random = new Random(8);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var reference = DataProfile.Build(Enumerable.Range(0, 3000).Select(_ => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?>
        {
            ["x"] = Normal().ToString("R", CultureInfo.InvariantCulture),
        }));
        var shift = scenario switch
        {
            "shifted-window" => 2.0,
            "unshifted-window" => 0.0,
            _ => throw new InvalidOperationException($"no drift scenario '{scenario}'"),
        };
        var check = new DriftCheck(reference, windowRows: 400);
        var raised = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 800; i++)
        {
            var request = new GuardRequest("self", GuardPrincipal.Offline, "/v2/models/m/infer", "m", "predict", GuardProtocol.InferenceV2,
                new PredictPayload([[FeatureValue.Of(Normal() + shift)]], ["x"]), T0.AddSeconds(i));
            raised.UnionWith((await check.CheckAsync(request, GuardContext.System, CancellationToken.None)).Signals.Select(s => s.RuleId));
        }

        return raised;
    }

    private static HashSet<string> Health(string scenario)
    {
        var refusalAfter = scenario switch
        {
            "refusal-spike" => 0.6,
            "steady-traffic" => 0.05,
            _ => throw new InvalidOperationException($"no health scenario '{scenario}'"),
        };
        var monitor = new HealthMonitor();
        var random = new Random(3);
        var raised = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 2200; i++)
        {
            var rate = i < 2000 ? 0.05 : refusalAfter;
            raised.UnionWith(monitor.Observe(refused: random.NextDouble() < rate, injectionScore: 0.05, error: false, latencyMs: 100 + random.Next(20)).Select(s => s.RuleId));
        }

        return raised;
    }
}
