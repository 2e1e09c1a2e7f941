using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Incidents;

/// <summary>One scripted event: a version appears (event "version"), a gateway alarm arrives ("alarm"), or news comes in ("note").</summary>
public sealed record TabletopInject(int Step, string Event, string Text, string? Version = null, string? State = null, string? Kind = null, string? Route = null);

/// <summary>A response the team is scored on: <see cref="Check"/> met (by the end of step <see cref="ByStep"/>, when set) earns <see cref="Points"/>.</summary>
public sealed record TabletopExpectation(string Id, string Check, int Points, string Why, int? ByStep = null);

/// <summary>A tabletop scenario from rules/playbooks/tabletop/*.json (embedded).</summary>
public sealed record TabletopScenario(string Id, string Title, string Playbook, string Artifact, IReadOnlyList<TabletopInject> Injects, IReadOnlyList<TabletopExpectation> Expect)
{
    public int Steps => Injects.Max(i => i.Step);
}

/// <summary>The shipped scenarios, checked when loaded: a known playbook, steps 1..n, one version, points adding up to 100.</summary>
public static class TabletopScenarios
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What an expectation may check.</summary>
    public static readonly FrozenSet<string> Checks = new[]
    {
        "incident-opened", "incident-assigned", "version-out-of-service", "version-revoked", "version-rejected", "keys-rotated", "checklist-complete", "review-written",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Loaded after <see cref="Checks"/>.</summary>
    public static FrozenDictionary<string, TabletopScenario> All { get; } = Load();

    private static FrozenDictionary<string, TabletopScenario> Load()
    {
        var assembly = typeof(TabletopScenarios).Assembly;
        var scenarios = new Dictionary<string, TabletopScenario>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("tabletop/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var scenario = JsonSerializer.Deserialize<TabletopScenario>(stream, Json) ?? throw new InvalidDataException($"{name} is empty");
            if (Problem(scenario) is { } problem)
            {
                throw new InvalidDataException($"{name}: {problem}");
            }

            scenarios.Add(scenario.Id, scenario);
        }

        return scenarios.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>What is wrong with a scenario, or null.</summary>
    internal static string? Problem(TabletopScenario scenario)
    {
        if (!Names.IsName(scenario.Id) || !Names.IsName(scenario.Artifact) || string.IsNullOrWhiteSpace(scenario.Title))
        {
            return "id, artifact and title are required (id and artifact are names)";
        }

        if (!Playbooks.All.TryGetValue(scenario.Playbook, out var playbook))
        {
            return $"no playbook {scenario.Playbook}";
        }

        if (scenario.Injects is not { Count: > 0 } || scenario.Injects.Select(i => i.Step).Distinct().Order().SequenceEqual(Enumerable.Range(1, scenario.Steps)) is false)
        {
            return "injects are numbered in steps 1, 2, ... with none left out";
        }

        var versions = scenario.Injects.Where(i => i.Event == "version").ToList();
        if (versions.Count != 1 || !Names.IsName(versions[0].Version) || versions[0].State is not (VersionStates.Released or VersionStates.PendingReview) || versions[0].Step != 1)
        {
            return "a scenario injects exactly one version, at step 1, released or pending-review";
        }

        foreach (var inject in scenario.Injects)
        {
            if (inject.Event is not ("version" or "alarm" or "note") || string.IsNullOrWhiteSpace(inject.Text))
            {
                return "inject events are version, alarm or note, each with text";
            }

            if (inject.Event == "alarm" && (inject.Kind is null || !playbook.Alarms.Contains(inject.Kind, StringComparer.Ordinal)))
            {
                return $"an alarm's kind must be one the playbook answers ({string.Join(", ", playbook.Alarms)})";
            }
        }

        if (scenario.Expect is not { Count: > 0 } || scenario.Expect.Any(e => !Checks.Contains(e.Check) || e.Points <= 0 || e.ByStep is < 1 || e.ByStep > scenario.Steps || string.IsNullOrWhiteSpace(e.Why))
            || scenario.Expect.Select(e => e.Id).Distinct(StringComparer.Ordinal).Count() != scenario.Expect.Count)
        {
            return $"expectations need a unique id, a check ({string.Join(", ", Checks)}), points, a reason and a byStep within the scenario";
        }

        var total = scenario.Expect.Sum(e => e.Points);
        return total == 100 ? null : $"expectation points add up to {total}, not 100";
    }
}

public sealed record TabletopRequest(string? Scenario);

/// <summary>One expectation as scored: met, missed (with why it matters and what happened) or pending while the run goes on.</summary>
public sealed record TabletopScore(string Id, string Check, int Points, int Earned, string Status, string Why, string Detail);

/// <summary>
/// Tabletop exercises (docs/server.md#tabletop-exercises): a scenario's injects are played against the real registry
/// and incident flow, step by step (a facilitator advances); the team responds with the ordinary API; the run is scored
/// out of 100 from what the database and the ledger show. Everything it makes is marked as exercise: its artifact
/// (exercise-..., never downloadable, never on the revocation list), its incident, and its ledger records.
/// </summary>
internal static class TabletopEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Map("GET", "/projects/{project}/tabletop", Requires.In(Operation.Incident), ListAsync);
        api.Map("POST", "/projects/{project}/tabletop", Requires.In(Operation.Incident), StartAsync);
        api.Map("GET", "/projects/{project}/tabletop/{run}", Requires.In(Operation.Incident), GetAsync);
        api.Map("POST", "/projects/{project}/tabletop/{run}/advance", Requires.In(Operation.Incident), AdvanceAsync);
        api.Map("POST", "/projects/{project}/tabletop/{run}/finish", Requires.In(Operation.Incident), FinishAsync);
    }

    /// <summary>The prefix of every exercise artifact's name; real uploads may not use it.</summary>
    public const string ArtifactPrefix = "exercise-";

    private static async Task<IResult> ListAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var runs = await db.TabletopRuns.Where(r => r.ProjectId == project.Id).OrderByDescending(r => r.Id).Take(200)
            .Select(r => new { id = r.Id, r.Scenario, r.State, r.Step, r.Score, r.StartedBy, r.StartedAt, r.FinishedAt }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var scenarios = TabletopScenarios.All.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(s => new { s.Id, s.Title, s.Playbook, s.Steps });
        return Results.Json(new { scenarios, runs });
    }

    private static async Task<IResult> StartAsync(HttpContext context, TabletopRequest request, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        if (request.Scenario is null || !TabletopScenarios.All.TryGetValue(request.Scenario, out var scenario))
        {
            throw ApiException.BadRequest($"scenario must be one of {string.Join(", ", TabletopScenarios.All.Keys.Order(StringComparer.Ordinal))}");
        }

        var now = time.GetUtcNow();
        var artifact = new RegistryArtifact
        {
            ProjectId = project.Id,
            Name = $"{ArtifactPrefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}-{scenario.Artifact}",
            Kind = "model",
            Exercise = true,
        };
        db.Artifacts.Add(artifact);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var run = new TabletopRun { ProjectId = project.Id, Scenario = scenario.Id, StartedBy = caller.Display, ArtifactId = artifact.Id, State = "running", StartedAt = now };
        db.TabletopRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

        run.RecordSubject = await blobs.PutAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { exercise = true, project = project.Name, run = run.Id, scenario = scenario.Id, startedBy = caller.Display, at = now }, Json)), cancellationToken).ConfigureAwait(false);
        await ledger.RegistryEventAsync(run.RecordSubject, "exercise-started", project.Name, artifact.Name, null, caller.Display, $"exercise run {run.Id}: tabletop scenario {scenario.Id} started", cancellationToken).ConfigureAwait(false);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await InjectAsync(context, run, scenario, artifact, db, ledger, blobs, time, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, run, scenario, cancellationToken).ConfigureAwait(false), statusCode: 201);
    }

    private static async Task<IResult> GetAsync(HttpContext context, long run, ServerDb db, CancellationToken cancellationToken)
    {
        var row = await FindAsync(context, db, run, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, TabletopScenarios.All[row.Scenario], cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The facilitator plays the next step's injects.</summary>
    private static async Task<IResult> AdvanceAsync(HttpContext context, long run, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var row = await FindAsync(context, db, run, cancellationToken).ConfigureAwait(false);
        var scenario = TabletopScenarios.All[row.Scenario];
        if (row.State != "running" || row.Step >= scenario.Steps)
        {
            throw ApiException.Conflict(row.State != "running" ? "this exercise is finished" : "every step has been played; finish the exercise to score it");
        }

        var artifact = await db.Artifacts.FirstAsync(a => a.Id == row.ArtifactId, cancellationToken).ConfigureAwait(false);
        await InjectAsync(context, row, scenario, artifact, db, ledger, blobs, time, cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, scenario, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Ends the run: every expectation is scored for good (what never happened is missed), kept, and recorded in the ledger.</summary>
    private static async Task<IResult> FinishAsync(HttpContext context, long run, ServerDb db, ServerLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        var row = await FindAsync(context, db, run, cancellationToken).ConfigureAwait(false);
        if (row.State != "running")
        {
            throw ApiException.Conflict("this exercise is already finished");
        }

        var scenario = TabletopScenarios.All[row.Scenario];
        var scores = await ScoreAsync(db, row, scenario, final: true, cancellationToken).ConfigureAwait(false);
        var total = scores.Sum(s => s.Earned);
        var missed = scores.Where(s => s.Status != "met").Select(s => $"{s.Id} (-{s.Points - s.Earned})").ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var changed = await db.TabletopRuns.Where(r => r.Id == row.Id && r.State == "running")
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, "finished"), cancellationToken).ConfigureAwait(false);
        if (changed == 0)
        {
            throw ApiException.Conflict("this exercise is already finished");
        }

        await ledger.RegistryEventAsync(row.RecordSubject, "exercise-scored", project.Name, null, null, caller.Display,
            $"exercise run {row.Id} ({scenario.Id}) scored {total}/100; missed: {(missed.Count == 0 ? "nothing" : string.Join(", ", missed))}", cancellationToken).ConfigureAwait(false);
        row.State = "finished";
        row.Score = total;
        row.FinishedAt = time.GetUtcNow();
        row.ResultJson = JsonSerializer.Serialize(scores, Json);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(await ViewAsync(db, row, scenario, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Plays the next step: an "exercise-step" record marks where it begins in the ledger, then each inject happens and is recorded.</summary>
    private static async Task InjectAsync(HttpContext context, TabletopRun run, TabletopScenario scenario, RegistryArtifact artifact, ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var step = run.Step + 1;
        var marker = await ledger.RegistryEventAsync(run.RecordSubject, "exercise-step", project.Name, artifact.Name, null, "tabletop", $"exercise run {run.Id}: step {step} of {scenario.Steps}", cancellationToken).ConfigureAwait(false);
        run.Step = step;
        run.StepSequences = run.StepSequences.Length == 0 ? marker.ToString(CultureInfo.InvariantCulture) : $"{run.StepSequences},{marker.ToString(CultureInfo.InvariantCulture)}";
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var inject in scenario.Injects.Where(i => i.Step == step))
        {
            switch (inject.Event)
            {
                case "version":
                {
                    // The version's bytes are a statement naming the exercise, so its digest is its own and no real model's.
                    var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { exercise = true, run = run.Id, scenario = scenario.Id, version = inject.Version, text = inject.Text }, Json));
                    var digest = await blobs.PutAsync(bytes, cancellationToken).ConfigureAwait(false);
                    await ledger.RegistryEventAsync(digest, "exercise-inject", project.Name, artifact.Name, inject.Version, "tabletop", $"exercise run {run.Id} step {step}: {inject.Text}", cancellationToken).ConfigureAwait(false);
                    var now = time.GetUtcNow();
                    db.Versions.Add(new ArtifactVersion
                    {
                        ArtifactId = artifact.Id,
                        ProjectId = project.Id,
                        Label = inject.Version!,
                        Digest = digest,
                        Size = bytes.Length,
                        FileName = "exercise.json",
                        State = inject.State!,
                        UploaderName = "tabletop",
                        ScanVerdict = "exercise",
                        SignatureStatus = "exercise",
                        AuditVerdict = "exercise",
                        FindingsJson = "[]",
                        CreatedAt = now,
                        UpdatedAt = now,
                    });
                    await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                    break;
                }

                case "alarm":
                {
                    // As the gateway would post it: the alarm opens an incident with the playbook, about the exercise version.
                    var version = await db.Versions.Where(v => v.ArtifactId == artifact.Id).OrderBy(v => v.Id).FirstAsync(cancellationToken).ConfigureAwait(false);
                    await ledger.RegistryEventAsync(version.Digest, "exercise-inject", project.Name, artifact.Name, version.Label, "tabletop", $"exercise run {run.Id} step {step}: {inject.Kind} alarm: {inject.Text}", cancellationToken).ConfigureAwait(false);
                    var title = $"[exercise {run.Id}] {inject.Kind} alarm" + (inject.Route is null ? "" : $" on route {inject.Route}") + $": {inject.Text}";
                    await IncidentEndpoints.StartIncidentAsync(context, new NewIncidentRequest(scenario.Playbook, title.Length <= 500 ? title : title[..500], null, [version.Digest]), "alarm", db, ledger, blobs, time, cancellationToken).ConfigureAwait(false);
                    break;
                }

                default:
                    await ledger.RegistryEventAsync(run.RecordSubject, "exercise-inject", project.Name, artifact.Name, null, "tabletop", $"exercise run {run.Id} step {step}: {inject.Text}", cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private static async Task<object> ViewAsync(ServerDb db, TabletopRun run, TabletopScenario scenario, CancellationToken cancellationToken)
    {
        var scores = run.ResultJson is { } kept
            ? JsonSerializer.Deserialize<List<TabletopScore>>(kept, Json) ?? []
            : await ScoreAsync(db, run, scenario, final: false, cancellationToken).ConfigureAwait(false);
        var artifact = await db.Artifacts.FirstAsync(a => a.Id == run.ArtifactId, cancellationToken).ConfigureAwait(false);
        var versions = await db.Versions.Where(v => v.ArtifactId == artifact.Id).Select(v => new { version = v.Label, v.Digest, v.State }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var incident = await db.Incidents.Where(i => i.TabletopRunId == run.Id).OrderBy(i => i.Id).Select(i => (long?)i.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return new
        {
            id = run.Id,
            scenario = scenario.Id,
            scenario.Title,
            scenario.Playbook,
            run.State,
            step = run.Step,
            steps = scenario.Steps,
            artifact = artifact.Name,
            versions,
            incident,
            injects = scenario.Injects.Where(i => i.Step <= run.Step).Select(i => new { i.Step, i.Event, i.Text, i.Kind, i.Version }),
            score = scores.Sum(s => s.Earned),
            expectations = scores,
            run.StartedBy,
            run.StartedAt,
            run.FinishedAt,
        };
    }

    /// <summary>
    /// Scores every expectation from the database and the ledger sequence numbers of what happened: an action of the
    /// run's incident (its timeline names each action's ledger record), the version's revocation or rejection record.
    /// An expectation with byStep must happen before the record that began step byStep+1; while the run goes on and
    /// nothing late can be said yet, it is pending.
    /// </summary>
    private static async Task<List<TabletopScore>> ScoreAsync(ServerDb db, TabletopRun run, TabletopScenario scenario, bool final, CancellationToken cancellationToken)
    {
        var stepStarts = run.StepSequences.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var incident = await db.Incidents.Where(i => i.TabletopRunId == run.Id).OrderBy(i => i.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var timeline = incident is null ? [] : await db.IncidentEvents.Where(e => e.IncidentId == incident.Id).OrderBy(e => e.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        var version = await db.Versions.Where(v => v.ArtifactId == run.ArtifactId).OrderBy(v => v.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var decisions = version is null ? [] : await db.Approvals.Where(a => a.VersionId == version.Id).OrderBy(a => a.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        long? First(params string[] kinds) => timeline.Where(e => kinds.Contains(e.Kind, StringComparer.Ordinal)).Select(e => (long?)e.LedgerSequence).FirstOrDefault();
        static long? Min(params long?[] values) => values.Min();

        var scores = new List<TabletopScore>();
        foreach (var expect in scenario.Expect)
        {
            var versionName = version is null ? "the exercise version" : $"version {version.Label} ({version.State})";
            (long? At, string Missing) happened = expect.Check switch
            {
                "incident-opened" => (First("opened"), "no incident was opened about the exercise (open one naming the exercise version's digest)"),
                "incident-assigned" => (First("assign"), incident is null ? "there was no incident to assign" : "nobody was assigned the incident"),
                "version-out-of-service" => (Min(First("quarantine", "revoke"), version?.RevokedSequence, decisions.Where(d => d.Decision == "rejected").Select(d => (long?)d.LedgerSequence).FirstOrDefault()),
                    $"{versionName} was never quarantined, rejected or revoked"),
                "version-revoked" => (version?.RevokedSequence, $"{versionName} was never revoked"),
                "version-rejected" => (decisions.Where(d => d.Decision == "rejected").Select(d => (long?)d.LedgerSequence).FirstOrDefault(),
                    decisions.Any(d => d.Decision == "approved") ? $"{versionName} was approved instead of rejected" : $"{versionName} was never rejected"),
                "keys-rotated" => (First("rotate-keys"), "no signing key was rotated from the incident"),
                "review-written" => (incident is { State: "closed", LessonsLearned.Length: > 0 } ? First("closed") : null, "the incident was not closed with a review"),
                "checklist-complete" => (null, ""),
                _ => (null, "unknown check"),
            };

            if (expect.Check == "checklist-complete")
            {
                var checklist = incident is null ? [] : IncidentEndpoints.ChecklistOf(incident);
                var done = checklist.Count(s => s.Done);
                var earned = checklist.Count == 0 ? 0 : expect.Points * done / checklist.Count;
                var open = checklist.Where(s => !s.Done).Select(s => s.Id).ToList();
                var status = done == checklist.Count && done > 0 ? "met" : final ? "missed" : "pending";
                scores.Add(new TabletopScore(expect.Id, expect.Check, expect.Points, earned, status, expect.Why,
                    incident is null ? "there was no incident, so no checklist" : $"{done} of {checklist.Count} steps done" + (open.Count == 0 ? "" : $"; not done: {string.Join(", ", open)}")));
                continue;
            }

            var deadline = expect.ByStep is { } by && by < stepStarts.Count ? stepStarts[by] : (long?)null;
            string state;
            string detail;
            if (happened.At is { } at)
            {
                (state, detail) = deadline is { } d && at > d
                    ? ("missed", $"done only after step {expect.ByStep + 1} was injected (expected by step {expect.ByStep}); ledger record {at}")
                    : ("met", $"ledger record {at}");
            }
            else
            {
                (state, detail) = final || deadline is not null
                    ? ("missed", happened.Missing + (expect.ByStep is { } s ? $" by step {s}" : ""))
                    : ("pending", happened.Missing + " yet");
            }

            scores.Add(new TabletopScore(expect.Id, expect.Check, expect.Points, state == "met" ? expect.Points : 0, state, expect.Why, detail));
        }

        return scores;
    }

    private static async Task<TabletopRun> FindAsync(HttpContext context, ServerDb db, long id, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        return await db.TabletopRuns.FirstOrDefaultAsync(r => r.Id == id && r.ProjectId == project.Id, cancellationToken).ConfigureAwait(false)
            ?? throw ApiException.NotFound("no such tabletop run in this project");
    }
}
