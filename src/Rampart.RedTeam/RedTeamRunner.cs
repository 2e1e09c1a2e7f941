using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Harness;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam;

/// <summary>One endpoint to attack, and what to call it in the report ("direct", "through gateway").</summary>
public sealed record RunTarget(string Label, Uri Url, string? ApiKey = null);

/// <summary>How hard the harness may push a target, and where it keeps its resumable state.</summary>
/// <param name="Limits">Per-request bounds (timeout, answer size, stream events).</param>
/// <param name="Concurrency">Requests in flight at most.</param>
/// <param name="RequestsPerSecond">Requests started per second at most (0: no limit).</param>
/// <param name="JournalPath">The run journal (JSON Lines); each target gets its own file beside it ("name.label.jsonl"). Null: no journal.</param>
public sealed record HarnessOptions(TargetLimits Limits, int Concurrency = 4, double RequestsPerSecond = 0, string? JournalPath = null);

/// <summary>
/// The library entry points of <c>rampart redteam</c>: run the LLM probes or the classic attacks against one target
/// or several (the first is the target as it stands; the others, e.g. the same model through the Rampart gateway, are
/// shown beside it), and fold the runs into one report.
/// </summary>
public static class RedTeamRunner
{
    public static async Task<RedTeamReport> RunLlmAsync(
        IReadOnlyList<RunTarget> targets, string model, bool stream, IReadOnlyCollection<string> families, LlmRunOptions options,
        HarnessOptions harness, ToolInfo tool, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(time);
        var catalog = ProbeCatalog.Shipped;
        var probes = catalog.Select(families);
        var started = time.GetUtcNow();
        var runs = new List<RunSection>();
        foreach (var target in targets)
        {
            using var http = new HttpTarget(ChatTarget.CompletionsUri(target.Url), harness.Limits, target.ApiKey);
            using var gate = new RequestGate(harness.Concurrency, harness.RequestsPerSecond);
            using var journal = OpenJournal(harness, target, new JsonObject { ["kind"] = "llm", ["seed"] = options.Seed, ["repeats"] = options.Repeats, ["model"] = model, ["families"] = string.Join(",", families.Order(StringComparer.Ordinal)) });
            var runner = new LlmProbeRunner(new ChatTarget(http, model, stream), gate, journal, catalog, time);
            runs.Add(WithIncomplete(await runner.RunAsync(target.Label, probes, options, cancellationToken).ConfigureAwait(false), catalog));
        }

        return new RedTeamReport(tool, "llm", started, options.Seed, runs);
    }

    public static async Task<RedTeamReport> RunModelAsync(
        IReadOnlyList<RunTarget> targets, ModelProtocol protocol, string model, SampleData data, ModelAttackOptions options,
        HarnessOptions harness, ToolInfo tool, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(harness);
        ArgumentNullException.ThrowIfNull(time);
        var catalog = ProbeCatalog.Shipped;
        var started = time.GetUtcNow();
        var runs = new List<RunSection>();
        var resources = new List<IDisposable>();
        try
        {
            ModelOracle? reference = null;
            foreach (var target in targets)
            {
                var http = new HttpTarget(ModelTarget.OperationUri(target.Url, protocol, model), harness.Limits, target.ApiKey);
                var gate = new RequestGate(harness.Concurrency, harness.RequestsPerSecond);
                var journal = OpenJournal(harness, target, new JsonObject { ["kind"] = "model", ["seed"] = options.Seed, ["protocol"] = protocol.ToString(), ["model"] = model });
                resources.AddRange([http, gate, journal]);
                var oracle = new ModelOracle(new ModelTarget(http, protocol, data.FeatureNames), gate, journal);
                var runner = new ClassicAttackRunner(oracle, data, catalog, time, reference);
                runs.Add(WithIncomplete(await runner.RunAsync(target.Label, options, cancellationToken).ConfigureAwait(false), catalog));
                reference ??= oracle;
            }
        }
        finally
        {
            resources.Reverse();
            resources.ForEach(r => r.Dispose());
        }

        return new RedTeamReport(tool, "model", started, options.Seed, runs);
    }

    /// <summary>A partial run carries RAMP-RT-000 (inconclusive), so the report says plainly that not everything was judged.</summary>
    private static RunSection WithIncomplete(RunSection run, ProbeCatalog catalog)
    {
        if (!run.Partial)
        {
            return run;
        }

        var reason = run.Errors.Count > 0 ? run.Errors[0] : "some steps could not be judged";
        return run with { Findings = [.. run.Findings, new RedTeamFinding("RAMP-RT-000", catalog.Rules["RAMP-RT-000"].Severity, $"The run is incomplete: {reason}", run.Label, null)] };
    }

    private static RunJournal OpenJournal(HarnessOptions harness, RunTarget target, JsonObject header)
    {
        if (harness.JournalPath is null)
        {
            return RunJournal.None();
        }

        header["target"] = target.Url.ToString();
        var slug = string.Concat(target.Label.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
        var path = Path.ChangeExtension(harness.JournalPath, null) + "." + slug + Path.GetExtension(harness.JournalPath);
        return RunJournal.Open(path, header);
    }

    /// <summary>Whether a finding counts towards the exit-code threshold (run-incomplete findings have their own exit code).</summary>
    public static bool CountsTowardsThreshold(RedTeamFinding finding) =>
        finding is not null && !string.Equals(finding.RuleId, "RAMP-RT-000", StringComparison.Ordinal);

    /// <summary>The severity for <paramref name="text"/> ("high"), or a usage error.</summary>
    public static Severity ParseSeverity(string text) =>
        SeverityNames.TryParse(text, out var s) ? s : throw new ArgumentException($"unknown severity '{text}' (info, low, medium, high, critical)", nameof(text));
}
