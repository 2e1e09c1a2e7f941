using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Activity;

/// <summary>The parts of a red-team report (docs/redteam-report.schema.json) the server reads.</summary>
public sealed record RedTeamReportIn(string? SchemaVersion, RedTeamToolIn? Tool, string? Kind, DateTimeOffset? StartedAt, int? ExitCode, RedTeamRunIn[]? Runs);

public sealed record RedTeamToolIn(string? Name, string? Version);

public sealed record RedTeamRunIn(string? Label, string? Target, RedTeamProbeIn[]? Probes, RedTeamAttackIn[]? Attacks, RedTeamFindingIn[]? Findings);

public sealed record RedTeamProbeIn(string? Id, string? Family, string? Status, int? Attempts, int? Failures);

public sealed record RedTeamAttackIn(string? Id, string? Title, string? Status, Dictionary<string, JsonElement>? Metrics);

public sealed record RedTeamFindingIn(string? Severity);

/// <summary>A probe family of a stored run: probes by status, attempts and failed attempts (an attack that succeeded).</summary>
public sealed record FamilySummary(string Family, int Passed, int Failed, int Inconclusive, int Attempts, int Failures)
{
    public double SuccessRate => Attempts == 0 ? 0 : (double)Failures / Attempts;
}

/// <summary>A classic-model attack of a stored run with its numeric metrics.</summary>
public sealed record AttackSummary(string Id, string Title, string Status, IReadOnlyDictionary<string, double> Metrics);

/// <summary>What a stored run keeps of its report (<see cref="RedTeamRun.SummaryJson"/>).</summary>
public sealed record RedTeamSummary(IReadOnlyList<FamilySummary> Families, IReadOnlyList<AttackSummary> Attacks, IReadOnlyDictionary<string, int> FindingsBySeverity)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RedTeamSummary FromJson(string json) => JsonSerializer.Deserialize<RedTeamSummary>(json, Json) ?? new RedTeamSummary([], [], new Dictionary<string, int>());
}

/// <summary>
/// <c>POST /api/v1/projects/{project}/redteam/runs</c> (operation <c>report</c>): a red-team harness's JSON report,
/// validated (schema version, kind, statuses, counts, bounded lists) and summarised; <c>GET</c> lists the runs.
/// </summary>
internal static class RedTeamRunEndpoints
{
    public const int MaxRuns = 64;
    public const int MaxItems = 2000;
    private static readonly string[] Statuses = ["passed", "failed", "inconclusive"];
    private static readonly string[] Severities = ["critical", "high", "medium", "low", "info"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Map("POST", "/projects/{project}/redteam/runs", Requires.In(Operation.Report), IngestAsync);
        api.Map("GET", "/projects/{project}/redteam/runs", Requires.In(Operation.Read), ListAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var rows = await db.RedTeamRuns.AsNoTracking().Where(r => r.ProjectId == project.Id).OrderByDescending(r => r.Id).Take(200)
            .Select(r => new { id = r.Id, r.Kind, r.StartedAt, r.ReceivedAt, r.ExitCode, r.Passed, r.Failed, r.Inconclusive, r.Findings, r.SentBy }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows);
    }

    private static async Task<IResult> IngestAsync(HttpContext context, RedTeamReportIn report, ServerDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        var summary = Summarise(report ?? throw ApiException.BadRequest("send the JSON report of `rampart redteam ... --format json`"));
        var run = new RedTeamRun
        {
            ProjectId = project.Id,
            ReceivedAt = time.GetUtcNow(),
            StartedAt = report.StartedAt!.Value.ToUniversalTime(),
            Kind = report.Kind!,
            ToolVersion = report.Tool?.Version ?? "",
            ExitCode = report.ExitCode!.Value,
            Targets = string.Join('\n', report.Runs!.Select(r => r.Target!).Distinct(StringComparer.Ordinal)),
            SentBy = caller.Display,
            Passed = summary.Families.Sum(f => f.Passed) + summary.Attacks.Count(a => a.Status == "passed"),
            Failed = summary.Families.Sum(f => f.Failed) + summary.Attacks.Count(a => a.Status == "failed"),
            Inconclusive = summary.Families.Sum(f => f.Inconclusive) + summary.Attacks.Count(a => a.Status == "inconclusive"),
            Findings = summary.FindingsBySeverity.Values.Sum(),
            SummaryJson = summary.ToJson(),
        };
        db.RedTeamRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(new { id = run.Id, run.Passed, run.Failed, run.Inconclusive, run.Findings }, statusCode: 201);
    }

    /// <summary>Checks a report and summarises it; a report that is not one is refused with what is wrong.</summary>
    internal static RedTeamSummary Summarise(RedTeamReportIn report)
    {
        if (report.SchemaVersion != "1.0.0")
        {
            throw ApiException.BadRequest("schemaVersion must be 1.0.0 (docs/redteam-report.schema.json)");
        }

        if (report.Kind is not ("llm" or "model") || report.StartedAt is null || report.ExitCode is not (0 or 1 or 2))
        {
            throw ApiException.BadRequest("kind (llm or model), startedAt and exitCode (0, 1 or 2) are required");
        }

        if (report.Runs is not { Length: > 0 and <= MaxRuns } runs)
        {
            throw ApiException.BadRequest($"runs: 1 to {MaxRuns}");
        }

        var families = new Dictionary<string, (int Passed, int Failed, int Inconclusive, int Attempts, int Failures)>(StringComparer.Ordinal);
        var attacks = new List<AttackSummary>();
        var findings = Severities.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        for (var i = 0; i < runs.Length; i++)
        {
            var run = runs[i] ?? throw ApiException.BadRequest($"runs[{i}]: null");
            if (!Text(run.Target, 2000) || !Text(run.Label, 200) || (run.Probes?.Length ?? 0) > MaxItems || (run.Attacks?.Length ?? 0) > MaxItems || (run.Findings?.Length ?? 0) > MaxItems)
            {
                throw ApiException.BadRequest($"runs[{i}]: label, target and at most {MaxItems} probes, attacks and findings");
            }

            foreach (var (probe, j) in (run.Probes ?? []).Select((p, j) => (p, j)))
            {
                if (probe is null || !Text(probe.Family, 100) || probe.Status is null || !Statuses.Contains(probe.Status)
                    || probe.Attempts is not { } attempts || attempts < 0 || probe.Failures is not { } failures || failures < 0 || failures > attempts)
                {
                    throw ApiException.BadRequest($"runs[{i}].probes[{j}]: family, status (passed, failed, inconclusive), attempts and failures (0 to attempts)");
                }

                var f = families.GetValueOrDefault(probe.Family!);
                families[probe.Family!] = (f.Passed + (probe.Status == "passed" ? 1 : 0), f.Failed + (probe.Status == "failed" ? 1 : 0), f.Inconclusive + (probe.Status == "inconclusive" ? 1 : 0), f.Attempts + attempts, f.Failures + failures);
            }

            foreach (var (attack, j) in (run.Attacks ?? []).Select((a, j) => (a, j)))
            {
                if (attack is null || !Text(attack.Id, 100) || attack.Status is null || !Statuses.Contains(attack.Status) || (attack.Metrics?.Count ?? 0) > 64)
                {
                    throw ApiException.BadRequest($"runs[{i}].attacks[{j}]: id, status (passed, failed, inconclusive) and at most 64 metrics");
                }

                var metrics = (attack.Metrics ?? []).Where(m => m.Value.ValueKind == JsonValueKind.Number && Text(m.Key, 100) && double.IsFinite(m.Value.GetDouble()))
                    .ToDictionary(m => m.Key, m => m.Value.GetDouble(), StringComparer.Ordinal);
                attacks.Add(new AttackSummary(attack.Id!, Text(attack.Title, 300) ? attack.Title! : attack.Id!, attack.Status, metrics));
            }

            foreach (var (finding, j) in (run.Findings ?? []).Select((x, j) => (x, j)))
            {
                if (finding?.Severity is not { } severity || !findings.TryGetValue(severity, out var count))
                {
                    throw ApiException.BadRequest($"runs[{i}].findings[{j}]: severity must be one of {string.Join(", ", Severities)}");
                }

                findings[severity] = count + 1;
            }
        }

        return new RedTeamSummary(
            [.. families.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new FamilySummary(f.Key, f.Value.Passed, f.Value.Failed, f.Value.Inconclusive, f.Value.Attempts, f.Value.Failures))],
            attacks,
            findings);
    }

    private static bool Text(string? text, int max) => text is { Length: > 0 } && text.Length <= max && !text.Any(char.IsControl);
}
