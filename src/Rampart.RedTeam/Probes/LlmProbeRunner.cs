using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.RedTeam.Harness;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Probes;

/// <summary>Options of an LLM probe run.</summary>
/// <param name="Seed">Seeds every nonce, canary and the order of nothing else: the same seed gives the same prompts.</param>
/// <param name="Repeats">How often each prompt is sent (answers at temperature 0 still vary between providers).</param>
/// <param name="Canaries">Tokens the user planted in the target's own system prompt.</param>
/// <param name="Secrets">Values the user planted where the model can see them (retrieval corpus, tools).</param>
/// <param name="MaxErrors">Target errors after which the rest of the run is abandoned (a bounded partial report).</param>
public sealed record LlmRunOptions(int Seed, int Repeats, IReadOnlyList<string> Canaries, IReadOnlyList<string> Secrets, int MaxErrors = 10);

/// <summary>
/// Sends every attempt of every probe through the request gate (concurrency, rate), journals each judged answer, and
/// folds the attempts into one result per probe. Target errors are counted, not thrown: an unreachable target or too
/// many errors stops the run and the report says what did not run and why.
/// </summary>
public sealed class LlmProbeRunner(ChatTarget target, RequestGate gate, RunJournal journal, ProbeCatalog catalog, TimeProvider time)
{
    private sealed record Attempt(ProbeDefinition Probe, string Key, string Prompt, AttemptValues Values);

    private sealed record Outcome(string Kind, string? Evidence, double? Score, string? Attribute);

    public async Task<RunSection> RunAsync(string label, IReadOnlyList<ProbeDefinition> probes, LlmRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentNullException.ThrowIfNull(options);
        var started = time.GetTimestamp();
        var attempts = probes.SelectMany(p => Expand(p, options)).ToList();
        var outcomes = new ConcurrentDictionary<string, Outcome>(StringComparer.Ordinal);
        var errors = new ConcurrentQueue<string>();
        var errorCount = 0;
        long requests = 0;
        string? abandoned = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task RunOne(Attempt attempt)
        {
            if (journal.TryGet(attempt.Key, out var stored) && stored is JsonObject o)
            {
                outcomes[attempt.Key] = new Outcome(o["kind"]!.GetValue<string>(), o["evidence"]?.GetValue<string>(), o["score"]?.GetValue<double>(), attempt.Values.Attribute);
                return;
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                var answer = await gate.RunAsync(ct => { Interlocked.Increment(ref requests); return target.CompleteAsync(Messages(attempt), attempt.Probe.Tools, ct); }, stop.Token).ConfigureAwait(false);
                if (answer.RateLimited)
                {
                    // A 429 is not the model withstanding the probe: the attempt is not judged (lower --rate and resume).
                    throw new TargetException(TargetFailure.HttpStatus, $"{HttpTarget.Describe(target.Http.Endpoint)} answered 429 Too Many Requests; lower --rate or --concurrency and resume with --journal");
                }

                var judged = ProbeJudge.Judge(attempt.Probe, answer, attempt.Values, catalog);
                var kind = answer.Refused ? "refused" : judged.Failed ? "failed" : "passed";
                var outcome = new Outcome(kind, judged.Evidence, judged.Score, attempt.Values.Attribute);
                outcomes[attempt.Key] = outcome;
                journal.Record(attempt.Key, new JsonObject { ["kind"] = kind, ["evidence"] = judged.Evidence, ["score"] = judged.Score });
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // the run was abandoned while this attempt waited: it counts as not run
            }
            catch (TargetException e)
            {
                outcomes[attempt.Key] = new Outcome("error", e.Message, null, attempt.Values.Attribute);
                errors.Enqueue($"{attempt.Probe.Id}: {e.Message}");
                if (e.IsFatal || Interlocked.Increment(ref errorCount) >= options.MaxErrors)
                {
                    abandoned ??= e.IsFatal ? $"stopped: {e.Message}" : $"stopped after {options.MaxErrors} target errors";
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }

        await Task.WhenAll(attempts.Select(RunOne)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        var results = probes.Select(p => Fold(p, attempts.Where(a => a.Probe == p).ToList(), outcomes)).ToList();
        var findings = results.Where(r => r.Status == OutcomeStatus.Failed).Select(Finding).ToList();
        var errorList = errors.Distinct(StringComparer.Ordinal).Take(50).ToList();
        if (abandoned is not null)
        {
            errorList.Insert(0, abandoned);
        }

        return new RunSection(label, target.Http.Endpoint.ToString(), requests, time.GetElapsedTime(started), results, [], findings, errorList,
            Partial: abandoned is not null || results.Any(r => r.Errors + r.NotRun > 0));
    }

    private RedTeamFinding Finding(ProbeResult r)
    {
        var rule = catalog.Rules[r.RuleId];
        var message = r.Disparity is { } d
            ? $"{r.Title}: scores differ by {d:0.##} between attributes ({string.Join(", ", r.Means!.Select(m => $"{m.Key} {m.Value:0.##}"))})"
            : $"{r.Title}: {r.Failures} of {r.Attempts} attempts succeeded";
        return new RedTeamFinding(r.RuleId, rule.Severity, message, r.Id, r.Evidence);
    }

    private static IEnumerable<Attempt> Expand(ProbeDefinition probe, LlmRunOptions options)
    {
        var attributes = probe.Detector.Kind == DetectorKind.Disparity ? probe.Detector.Attributes.Select(a => (string?)a) : [null];
        var canary = Seeds.Token(options.Seed, probe.Id + "/canary", "cn");
        for (var i = 0; i < probe.Prompts.Length; i++)
        {
            for (var r = 0; r < options.Repeats; r++)
            {
                foreach (var attribute in attributes)
                {
                    var key = $"{probe.Id}#{i}.{r}" + (attribute is null ? "" : $".{attribute}");
                    var nonce = Seeds.Token(options.Seed, key);
                    var package = (probe.Detector.Package ?? "{nonce}").Replace("{nonce}", nonce[2..8], StringComparison.Ordinal);
                    var values = new AttemptValues(nonce, canary, package, attribute, options.Canaries, options.Secrets);
                    yield return new Attempt(probe, key, ProbeJudge.Render(probe.Prompts[i], probe, values), values);
                }
            }
        }
    }

    private static List<ChatMessage> Messages(Attempt attempt)
    {
        var messages = new List<ChatMessage>();
        if (attempt.Probe.System is { } system)
        {
            messages.Add(new ChatMessage("system", ProbeJudge.Render(system, attempt.Probe, attempt.Values)));
        }

        var prompt = attempt.Probe.Document is { } document
            ? $"{attempt.Prompt}\n\n<document>\n{ProbeJudge.Render(document, attempt.Probe, attempt.Values)}\n</document>"
            : attempt.Prompt;
        messages.Add(new ChatMessage("user", prompt));
        return messages;
    }

    private static ProbeResult Fold(ProbeDefinition probe, List<Attempt> attempts, ConcurrentDictionary<string, Outcome> outcomes)
    {
        var got = attempts.Select(a => outcomes.TryGetValue(a.Key, out var o) ? o : null).ToList();
        var failures = got.Count(o => o?.Kind == "failed");
        var refusals = got.Count(o => o?.Kind == "refused");
        var errors = got.Count(o => o?.Kind == "error");
        var notRun = got.Count(o => o is null);
        var judged = attempts.Count - errors - notRun;
        var evidence = got.FirstOrDefault(o => o?.Kind == "failed")?.Evidence;
        if (probe.Detector.Kind == DetectorKind.Disparity)
        {
            var (means, disparity) = ProbeJudge.Disparity(got.OfType<Outcome>().Where(o => o.Kind == "passed").Select(o => (o.Attribute!, o.Score)));
            var status = means.Count < 2 ? (refusals > 0 && errors + notRun == 0 ? OutcomeStatus.Passed : OutcomeStatus.Inconclusive)
                : disparity >= probe.Detector.Threshold ? OutcomeStatus.Failed : OutcomeStatus.Passed;
            return new ProbeResult(probe.Id, probe.Family, probe.RuleId, probe.Title, attempts.Count, status == OutcomeStatus.Failed ? 1 : 0, refusals, errors, notRun, status,
                status == OutcomeStatus.Failed ? $"mean scores {string.Join(", ", means.Select(m => $"{m.Key}={m.Value:0.##}"))}" : null, means, disparity);
        }

        var outcome = failures > 0 ? OutcomeStatus.Failed : judged == 0 ? OutcomeStatus.Inconclusive : OutcomeStatus.Passed;
        return new ProbeResult(probe.Id, probe.Family, probe.RuleId, probe.Title, attempts.Count, failures, refusals, errors, notRun, outcome, evidence);
    }
}
