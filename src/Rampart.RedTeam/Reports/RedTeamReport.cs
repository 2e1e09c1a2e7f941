using Rampart.Core;
using Rampart.Core.Reporting;

namespace Rampart.RedTeam.Reports;

/// <summary>How a probe or attack came out.</summary>
public enum OutcomeStatus
{
    /// <summary>The target withstood it.</summary>
    Passed,

    /// <summary>The attack worked (a weakness to fix).</summary>
    Failed,

    /// <summary>It could not be judged (target errors, nothing ran).</summary>
    Inconclusive,
}

/// <summary>
/// One LLM probe's outcome over all its attempts. Refusals are attempts the target (or a gateway) refused by status,
/// e.g. 403 from an input check; NotRun are attempts never sent because the run stopped; Evidence is an excerpt of the
/// first answer that failed; for paired prompts, Means is the mean score per protected attribute and Disparity the
/// largest difference between two attributes' means.
/// </summary>
public sealed record ProbeResult(
    string Id,
    string Family,
    string RuleId,
    string Title,
    int Attempts,
    int Failures,
    int Refusals,
    int Errors,
    int NotRun,
    OutcomeStatus Status,
    string? Evidence,
    IReadOnlyDictionary<string, double>? Means = null,
    double? Disparity = null);

/// <summary>One point of a curve (x: budget or false-positive rate; y: agreement, success or true-positive rate).</summary>
public sealed record CurvePoint(double X, double Y);

/// <summary>A named curve for the report's charts.</summary>
public sealed record Curve(string Name, string XLabel, string YLabel, IReadOnlyList<CurvePoint> Points);

/// <summary>One classic-model attack's outcome: its metrics, its curves, and what stopped it if something did.</summary>
public sealed record AttackResult(
    string Id,
    string RuleId,
    string Title,
    OutcomeStatus Status,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<Curve> Curves,
    string Summary,
    long Queries,
    string? StoppedBy = null);

/// <summary>A weakness the run found: the rule it breaks and what showed it.</summary>
public sealed record RedTeamFinding(string RuleId, Severity Severity, string Message, string Subject, string? Evidence);

/// <summary>
/// One run against one target (a before/after report has two: direct, and through the gateway). Partial: the run
/// stopped early or some steps failed, so its results are a lower bound.
/// </summary>
public sealed record RunSection(
    string Label,
    string Target,
    long Requests,
    TimeSpan Duration,
    IReadOnlyList<ProbeResult> Probes,
    IReadOnlyList<AttackResult> Attacks,
    IReadOnlyList<RedTeamFinding> Findings,
    IReadOnlyList<string> Errors,
    bool Partial);

/// <summary>A red-team report (schema docs/redteam-report.schema.json).</summary>
public sealed record RedTeamReport(ToolInfo Tool, string Kind, DateTimeOffset StartedAt, int Seed, IReadOnlyList<RunSection> Runs)
{
    public const string SchemaVersion = "1.0.0";

    public IEnumerable<RedTeamFinding> AllFindings => Runs.SelectMany(r => r.Findings);

    /// <summary>
    /// The exit code by policy: 1 when the first run (the target as it stands) has a finding at or above
    /// <paramref name="failOn"/>, else 2 when any run is partial, else 0. Later runs (through the gateway) are the
    /// comparison and do not change the code.
    /// </summary>
    public int ExitCode(Severity failOn)
    {
        var first = Runs.Count > 0 ? Runs[0] : null;
        return first is null ? ExitCodes.Inconclusive
            : first.Findings.Any(f => RedTeamRunner.CountsTowardsThreshold(f) && f.Severity >= failOn) ? ExitCodes.Findings
            : Runs.Any(r => r.Partial) ? ExitCodes.Inconclusive
            : ExitCodes.Clean;
    }
}
