using System.Globalization;
using Rampart.RedTeam.Harness;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Classic;

/// <summary>Options of a classic-model run.</summary>
/// <param name="Seed">Seeds every query the attacks make.</param>
/// <param name="Budget">The extraction attacker's query budget (rows).</param>
/// <param name="Attacks">Attack ids to run (empty: all that the data allows).</param>
/// <param name="EvasionSamples">Rows the evasion attacks try to move across the boundary.</param>
/// <param name="SensitiveFeature">The feature attribute inference tries to recover (none: that attack is skipped).</param>
public sealed record ModelAttackOptions(int Seed, int Budget, IReadOnlyList<string> Attacks, int EvasionSamples = 20, string? SensitiveFeature = null);

/// <summary>
/// Black-box attacks on a classic model through a <see cref="ModelOracle"/>: extraction (ML.NET surrogate; agreement
/// against query budget), membership inference (confidence threshold and shadow model; AUC and TPR at 1% FPR),
/// evasion (boundary attack from labels, random search from scores; success against perturbation budget) and
/// attribute inference. A target that stops answering (429, 403) stops the attack: the result says so and keeps what
/// was measured. <paramref name="reference"/> labels the evaluation rows (the model as it is, not the attacker's route),
/// so a run through a rate-limited gateway is scored against the same truth as the direct run.
/// </summary>
public sealed class ClassicAttackRunner(ModelOracle oracle, SampleData data, ProbeCatalog catalog, TimeProvider time, ModelOracle? reference = null)
{
    public static readonly IReadOnlyList<string> AllAttacks = ["extraction", "membership-threshold", "membership-shadow", "evasion-boundary", "evasion-random-search", "attribute-inference"];

    public static readonly double[] PerturbationBudgets = [0.1, 0.25, 0.5, 1.0, 2.0];

    private ModelOracle Reference => reference ?? oracle;

    public async Task<RunSection> RunAsync(string label, ModelAttackOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var unknown = options.Attacks.Except(AllAttacks, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown attack {string.Join(", ", unknown)} (known: {string.Join(", ", AllAttacks)})", nameof(options));
        }

        var started = time.GetTimestamp();
        var chosen = options.Attacks.Count == 0 ? AllAttacks : options.Attacks;
        var results = new List<AttackResult>();
        var errors = new List<string>();
        foreach (var id in chosen)
        {
            var before = oracle.Sent;
            if (id is "extraction" or "membership-shadow" && Surrogate.NotInThisBuild is { } missing)
            {
                results.Add(new AttackResult(id, AttackPolicy.Shipped[id].RuleId, Title(id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [], $"skipped: {missing}", 0));
                continue;
            }

            try
            {
                var result = id switch
                {
                    "extraction" => await ExtractionAsync(options, cancellationToken).ConfigureAwait(false),
                    "membership-threshold" => await MembershipAsync(options, shadow: false, cancellationToken).ConfigureAwait(false),
                    "membership-shadow" => await MembershipAsync(options, shadow: true, cancellationToken).ConfigureAwait(false),
                    "evasion-boundary" => await EvasionAsync(options, boundary: true, cancellationToken).ConfigureAwait(false),
                    "evasion-random-search" => await EvasionAsync(options, boundary: false, cancellationToken).ConfigureAwait(false),
                    _ => await AttributeInferenceAsync(options, cancellationToken).ConfigureAwait(false),
                };
                if (result is not null)
                {
                    results.Add(result with { Queries = oracle.Sent - before });
                }
            }
            catch (RateLimitedException e)
            {
                results.Add(Stopped(id, e.Message, oracle.Sent - before));
            }
            catch (TargetException e)
            {
                errors.Add($"{id}: {e.Message}");
                results.Add(new AttackResult(id, AttackPolicy.Shipped[id].RuleId, Title(id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [], $"could not run: {e.Message}", oracle.Sent - before));
                if (e.IsFatal)
                {
                    break;
                }
            }
        }

        var findings = results.Where(r => r.Status == OutcomeStatus.Failed).Select(r =>
            new RedTeamFinding(r.RuleId, catalog.Rules[r.RuleId].Severity, $"{r.Title}: {r.Summary}", r.Id, null)).ToList();
        return new RunSection(label, oracle.Target.Http.Endpoint.ToString(), oracle.Requests, time.GetElapsedTime(started), [], results, findings, errors,
            Partial: errors.Count > 0 || results.Any(r => r.Status == OutcomeStatus.Inconclusive));
    }

    private static string Title(string id) => id switch
    {
        "extraction" => "Model extraction (ML.NET surrogate)",
        "membership-threshold" => "Membership inference (confidence threshold)",
        "membership-shadow" => "Membership inference (shadow model)",
        "evasion-boundary" => "Evasion (decision-based boundary attack)",
        "evasion-random-search" => "Evasion (score-based random search)",
        _ => "Attribute inference",
    };

    private static AttackResult Stopped(string id, string reason, long queries) =>
        new(id, AttackPolicy.Shipped[id].RuleId, Title(id), OutcomeStatus.Passed, new Dictionary<string, double>(), [],
            $"the target stopped the attacker after {queries} queries ({reason})", queries, reason);

    private static AttackResult Judge(string id, Dictionary<string, double> metrics, IReadOnlyList<Curve> curves, string summary, string? stoppedBy = null)
    {
        var threshold = AttackPolicy.Shipped[id];
        var status = threshold.Fails(metrics) ? OutcomeStatus.Failed : OutcomeStatus.Passed;
        return new AttackResult(id, threshold.RuleId, Title(id), status, metrics, curves,
            $"{summary} ({threshold.Metric} {F(metrics.GetValueOrDefault(threshold.Metric))}; fails at {F(threshold.FailAtOrAbove)} or more)", 0, stoppedBy);
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The rows the attacks are judged on: up to 400 of the sample, in a seeded order.</summary>
    private List<int> EvaluationRows(int seed, int max = 400)
    {
        var random = Seeds.Random(seed, "evaluation-rows");
        return [.. Enumerable.Range(0, data.Rows.Count).OrderBy(_ => random.Next()).Take(max)];
    }

    private async Task<AttackResult> ExtractionAsync(ModelAttackOptions options, CancellationToken cancellationToken)
    {
        var random = Seeds.Random(options.Seed, "extraction");
        var scale = data.Scale();
        var lo = Enumerable.Range(0, data.Width).Select(j => data.Rows.Min(r => r[j])).ToArray();
        var hi = Enumerable.Range(0, data.Width).Select(j => data.Rows.Max(r => r[j])).ToArray();
        var queries = new List<double[]>(options.Budget);
        for (var i = 0; i < options.Budget; i++)
        {
            // Half the queries are sample rows with noise (where the data lives), half uniform over the data's box (the boundary's reach).
#pragma warning disable CA5394 // seeded attack inputs, not secrets
            var row = i % 2 == 0
                ? [.. data.Rows[random.Next(data.Rows.Count)].Select((v, j) => v + (0.3 * scale[j] * random.Gaussian()))]
                : Enumerable.Range(0, data.Width).Select(j => lo[j] + ((hi[j] - lo[j]) * random.NextDouble())).ToArray();
#pragma warning restore CA5394
            queries.Add(row);
        }

        var evaluation = EvaluationRows(options.Seed).Select(i => data.Rows[i]).ToList();
        var truth = (await Reference.AskAsync(evaluation, cancellationToken).ConfigureAwait(false)).Select(a => a.Label).ToList();
        var budgets = new List<int>();
        for (var b = 25; b < options.Budget; b *= 2)
        {
            budgets.Add(b);
        }

        budgets.Add(options.Budget);
        var agreement = new List<CurvePoint>();
        var accuracy = new List<CurvePoint>();
        var labels = new List<int>();
        string? stopped = null;
        foreach (var budget in budgets)
        {
            try
            {
                labels.AddRange((await oracle.AskAsync(queries[labels.Count..budget], cancellationToken).ConfigureAwait(false)).Select(a => a.Label));
            }
            catch (RateLimitedException e)
            {
                stopped = e.Message;
                break;
            }

            var surrogate = Surrogate.Train(queries[..labels.Count], labels, SurrogateKind.Linear, options.Seed);
            var predicted = surrogate.Predict(evaluation);
            agreement.Add(new CurvePoint(budget, predicted.Where((p, i) => p == truth[i]).Count() / (double)truth.Count));
            if (data.Labels is { } trueLabels)
            {
                var evalLabels = EvaluationRows(options.Seed).Select(i => trueLabels[i]).ToList();
                accuracy.Add(new CurvePoint(budget, predicted.Where((p, i) => p == evalLabels[i]).Count() / (double)evalLabels.Count));
            }
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["agreement"] = agreement.Count == 0 ? 0 : agreement[^1].Y,
            ["queries"] = labels.Count,
        };
        if (accuracy.Count > 0)
        {
            metrics["surrogate_accuracy"] = accuracy[^1].Y;
        }

        var curves = new List<Curve> { new("agreement with the target", "queries", "agreement", agreement) };
        if (accuracy.Count > 0)
        {
            curves.Add(new Curve("surrogate accuracy (true labels)", "queries", "accuracy", accuracy));
        }

        var summary = agreement.Count == 0
            ? $"the target stopped the attacker before the first {budgets[0]} answers"
            : $"a surrogate trained on {labels.Count} answers agrees with the target on {agreement[^1].Y:P1} of {truth.Count} sample rows";
        return Judge("extraction", metrics, curves, summary, stopped);
    }

    /// <summary>The attack's evidence from one answer: the score of the true class, the top score and the entropy.</summary>
    private static double[] MembershipFeatures(IReadOnlyList<double> scores, int label) =>
    [
        label < scores.Count ? scores[label] : 0,
        scores.Max(),
        -scores.Where(s => s > 1e-12).Sum(s => s * Math.Log(s)),
    ];

    private static double[] OneHot(int label, int k) => [.. Enumerable.Range(0, Math.Max(k, label + 1)).Select(c => c == label ? 1.0 : 0.0)];

    private async Task<AttackResult?> MembershipAsync(ModelAttackOptions options, bool shadow, CancellationToken cancellationToken)
    {
        var id = shadow ? "membership-shadow" : "membership-threshold";
        if (data.Members is not { } members || data.Labels is not { } labels)
        {
            return new AttackResult(id, AttackPolicy.Shipped[id].RuleId, Title(id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [],
                "skipped: the sample needs a 'member' column (1 for training rows, 0 for others) and a 'label' column", 0);
        }

        var random = Seeds.Random(options.Seed, "membership");
        var memberRows = Enumerable.Range(0, data.Rows.Count).Where(i => members[i]).OrderBy(_ => random.Next()).ToList();
        var otherRows = Enumerable.Range(0, data.Rows.Count).Where(i => !members[i]).OrderBy(_ => random.Next()).ToList();
        var pool = shadow ? otherRows[..(otherRows.Count / 2)] : [];
        var outside = shadow ? otherRows[(otherRows.Count / 2)..] : otherRows;
        var n = Math.Min(500, Math.Min(memberRows.Count, outside.Count));
        if (n < 5 || (shadow && pool.Count < 10))
        {
            return new AttackResult(id, AttackPolicy.Shipped[id].RuleId, Title(id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [],
                "skipped: too few member or non-member rows in the sample", 0);
        }

        var evaluation = memberRows.Take(n).Concat(outside.Take(n)).ToList();
        var isMember = evaluation.Select(i => members[i]).ToList();
        var answers = await oracle.AskAsync([.. evaluation.Select(i => data.Rows[i])], cancellationToken).ConfigureAwait(false);
        var labelOnly = answers.Any(a => a.Scores is null);
        var k = Math.Max(labels.Max() + 1, answers.Max(a => a.Scores?.Count ?? 0));
        var targetScores = answers.Select(a => a.Scores ?? OneHot(a.Label, k)).ToList();
        List<double> scores;
        if (!shadow)
        {
            scores = [.. evaluation.Select((row, j) => labels[row] < targetScores[j].Count ? targetScores[j][labels[row]] : 0)];
        }
        else
        {
            var inside = pool[..(pool.Count / 2)];
            var outsideShadow = pool[(pool.Count / 2)..];
            var shadowModel = Surrogate.Train([.. inside.Select(i => data.Rows[i])], [.. inside.Select(i => labels[i])], SurrogateKind.Trees, options.Seed);
            var shadowRows = inside.Concat(outsideShadow).ToList();
            var shadowScores = shadowModel.Scores([.. shadowRows.Select(i => data.Rows[i])]);
            var attackX = shadowRows.Select((row, j) => MembershipFeatures(labelOnly ? OneHot(Array.IndexOf(shadowScores[j], shadowScores[j].Max()), k) : shadowScores[j], labels[row])).ToList();
            var attackY = shadowRows.Select((_, j) => j < inside.Count ? 1 : 0).ToList();
            var attack = Surrogate.Train(attackX, attackY, SurrogateKind.Linear, options.Seed);
            var features = evaluation.Select((row, j) => MembershipFeatures(targetScores[j], labels[row])).ToList();
            scores = [.. attack.Scores(features).Select(s => s.Length > 1 ? s[1] : 0)];
        }

        var roc = Metrics.Roc(scores, isMember);
        var auc = Metrics.Auc(scores, isMember);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["auc"] = auc,
            ["tpr_at_1pct_fpr"] = Metrics.TprAtFpr(roc, 0.01),
            ["advantage"] = roc.Max(p => p.Y - p.X),
            ["label_only"] = labelOnly ? 1 : 0,
            ["members"] = n,
        };
        return Judge(id, metrics, [new Curve($"ROC ({(shadow ? "shadow" : "threshold")}, AUC {auc:0.00})", "false-positive rate", "true-positive rate", Metrics.Thin(roc, 60))],
            $"on {n} members and {n} non-members{(labelOnly ? " from labels only" : "")}, AUC {auc:0.00}, {metrics["tpr_at_1pct_fpr"]:P1} of members found at 1% false positives");
    }

    private static double RmsDistance(double[] a, double[] b, double[] scale) =>
        Math.Sqrt(a.Select((v, j) => Math.Pow((v - b[j]) / scale[j], 2)).Average());

    private async Task<AttackResult> EvasionAsync(ModelAttackOptions options, bool boundary, CancellationToken cancellationToken)
    {
        var id = boundary ? "evasion-boundary" : "evasion-random-search";
        var scale = data.Scale();
        var evaluation = EvaluationRows(options.Seed).Select(i => data.Rows[i]).ToList();
        var labels = (await Reference.AskAsync(evaluation, cancellationToken).ConfigureAwait(false)).Select(a => a.Label).ToList();
        var samples = Enumerable.Range(0, Math.Min(options.EvasionSamples, evaluation.Count)).ToList();
        var distances = new double[samples.Count];
        string? stopped = null;
        try
        {
            await Task.WhenAll(samples.Select(async s =>
            {
                distances[s] = boundary
                    ? await BoundaryAsync(evaluation[s], labels[s], evaluation, labels, scale, Seeds.Random(options.Seed, $"{id}/{s}"), cancellationToken).ConfigureAwait(false)
                    : await RandomSearchAsync(evaluation[s], labels[s], scale, Seeds.Random(options.Seed, $"{id}/{s}"), cancellationToken).ConfigureAwait(false);
            })).ConfigureAwait(false);
        }
        catch (RateLimitedException e)
        {
            stopped = e.Message;
            for (var s = 0; s < distances.Length; s++)
            {
                distances[s] = distances[s] == 0 ? double.PositiveInfinity : distances[s];
            }
        }

        var curve = PerturbationBudgets.Select(eps => new CurvePoint(eps, distances.Count(d => d <= eps) / (double)distances.Length)).ToList();
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["success"] = curve.First(p => p.X == 0.5).Y,
            ["samples"] = samples.Count,
        };
        foreach (var p in curve)
        {
            metrics[$"success_at_{p.X.ToString("0.##", CultureInfo.InvariantCulture)}"] = p.Y;
        }

        var unit = boundary ? "RMS distance in standard deviations" : "L-infinity distance in standard deviations";
        return Judge(id, metrics, [new Curve(Title(id), unit, "success rate", curve)],
            $"{metrics["success"]:P0} of {samples.Count} rows change class within 0.5 standard deviations ({unit})", stopped);
    }

    /// <summary>
    /// The boundary attack (Brendel et al., 2018) from labels alone: start at the nearest sample row of another class,
    /// binary-search the segment to the boundary, then walk along the boundary towards the original row, keeping only
    /// steps that stay misclassified. Returns the smallest RMS distance found (infinity when no start point exists).
    /// </summary>
    private async Task<double> BoundaryAsync(double[] x, int label, List<double[]> pool, List<int> poolLabels, double[] scale, Random random, CancellationToken cancellationToken)
    {
        var start = pool.Where((_, i) => poolLabels[i] != label).OrderBy(p => RmsDistance(p, x, scale)).FirstOrDefault();
        if (start is null)
        {
            return double.PositiveInfinity;
        }

        double[] Mix(double[] a, double t) => [.. x.Select((v, j) => v + (t * (a[j] - v)))];
        var adversarial = start;
        double lo = 0, hi = 1;
        for (var round = 0; round < 2; round++)
        {
            var ts = Enumerable.Range(1, 16).Select(i => lo + ((hi - lo) * i / 16.0)).ToArray();
            var answers = await oracle.AskAsync([.. ts.Select(t => Mix(start, t))], cancellationToken).ConfigureAwait(false);
            var first = Array.FindIndex(answers.ToArray(), a => a.Label != label);
            if (first < 0)
            {
                break;
            }

            hi = ts[first];
            lo = first == 0 ? lo : ts[first - 1];
        }

        adversarial = Mix(start, hi);
        var best = RmsDistance(adversarial, x, scale);
        var step = 0.1;
        for (var iteration = 0; iteration < 12; iteration++)
        {
            var candidates = Enumerable.Range(0, 12).Select(_ =>
            {
                // a random step on the sphere around x through the current point, then a step towards x
                var moved = adversarial.Select((v, j) => v + (step * best * scale[j] * random.Gaussian())).ToArray();
                var d = RmsDistance(moved, x, scale);
                var shrink = d > 0 ? best / d * (1 - step) : 1;
                return Mix(moved, shrink);
            }).ToList();
            var answers = await oracle.AskAsync(candidates, cancellationToken).ConfigureAwait(false);
            var improved = candidates.Where((c, i) => answers[i].Label != label).OrderBy(c => RmsDistance(c, x, scale)).FirstOrDefault();
            if (improved is not null && RmsDistance(improved, x, scale) < best)
            {
                adversarial = improved;
                best = RmsDistance(improved, x, scale);
                step = Math.Min(0.5, step * 1.5);
            }
            else
            {
                step = Math.Max(0.01, step / 2);
            }
        }

        return best;
    }

    /// <summary>
    /// Score-based random search in the L-infinity ball: for each budget, batches of corner perturbations, keeping the
    /// one that lowers the original class's score most (with labels only, any that changes the label). Returns the
    /// smallest budget at which the label changed (infinity when none did).
    /// </summary>
    private async Task<double> RandomSearchAsync(double[] x, int label, double[] scale, Random random, CancellationToken cancellationToken)
    {
        foreach (var eps in PerturbationBudgets)
        {
            var signs = x.Select(_ => random.Next(2) == 0 ? -1.0 : 1.0).ToArray();
            var bestScore = double.MaxValue;
            for (var iteration = 0; iteration < 6; iteration++)
            {
                var candidates = Enumerable.Range(0, 16).Select(_ =>
                {
                    var s = signs.Select(v => random.NextDouble() < 0.2 ? -v : v).ToArray();
                    return (Signs: s, Row: x.Select((v, j) => v + (eps * scale[j] * s[j] * (0.5 + (0.5 * random.NextDouble())))).ToArray());
                }).ToList();
                var answers = await oracle.AskAsync([.. candidates.Select(c => c.Row)], cancellationToken).ConfigureAwait(false);
                if (answers.Any(a => a.Label != label))
                {
                    return eps;
                }

                for (var i = 0; i < answers.Count; i++)
                {
                    var score = answers[i].ScoreOf(label) ?? 1;
                    if (score < bestScore)
                    {
                        bestScore = score;
                        signs = candidates[i].Signs;
                    }
                }
            }
        }

        return double.PositiveInfinity;
    }

    private async Task<AttackResult?> AttributeInferenceAsync(ModelAttackOptions options, CancellationToken cancellationToken)
    {
        const string Id = "attribute-inference";
        var column = options.SensitiveFeature is null ? -1 : data.FeatureNames.ToList().IndexOf(options.SensitiveFeature);
        if (options.SensitiveFeature is null)
        {
            return options.Attacks.Contains(Id, StringComparer.Ordinal)
                ? new AttackResult(Id, AttackPolicy.Shipped[Id].RuleId, Title(Id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [], "skipped: name the sensitive feature with --sensitive", 0)
                : null;
        }

        if (column < 0 || data.Labels is not { } labels)
        {
            throw new ArgumentException($"attribute inference needs a 'label' column and a feature named '{options.SensitiveFeature}' in the sample");
        }

        var values = data.Rows.Select(r => r[column]).Distinct().Order().ToList();
        if (values.Count is < 2 or > 10)
        {
            return new AttackResult(Id, AttackPolicy.Shipped[Id].RuleId, Title(Id), OutcomeStatus.Inconclusive, new Dictionary<string, double>(), [],
                $"skipped: '{options.SensitiveFeature}' has {values.Count} distinct values (2 to 10 needed)", 0);
        }

        var rows = (data.Members is { } m ? Enumerable.Range(0, data.Rows.Count).Where(i => m[i]) : Enumerable.Range(0, data.Rows.Count)).Take(200).ToList();
        var queries = rows.SelectMany(i => values.Select(v => { var r = (double[])data.Rows[i].Clone(); r[column] = v; return r; })).ToList();
        var answers = await oracle.AskAsync(queries, cancellationToken).ConfigureAwait(false);
        var correct = 0;
        for (var k = 0; k < rows.Count; k++)
        {
            var scores = values.Select((_, v) => answers[(k * values.Count) + v]).Select(a => a.ScoreOf(labels[rows[k]]) ?? (a.Label == labels[rows[k]] ? 1 : 0)).ToList();
            correct += values[scores.IndexOf(scores.Max())] == data.Rows[rows[k]][column] ? 1 : 0;
        }

        var accuracy = correct / (double)rows.Count;
        var baseline = rows.GroupBy(i => data.Rows[i][column]).Max(g => g.Count()) / (double)rows.Count;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["accuracy"] = accuracy, ["baseline"] = baseline, ["advantage"] = accuracy - baseline };
        return Judge(Id, metrics, [], $"'{options.SensitiveFeature}' recovered for {accuracy:P0} of {rows.Count} training rows (guessing the commonest value: {baseline:P0})");
    }
}
