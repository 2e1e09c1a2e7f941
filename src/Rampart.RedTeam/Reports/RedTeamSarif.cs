using System.Collections.Immutable;
using Rampart.Core;
using Rampart.Core.Reporting;

namespace Rampart.RedTeam.Reports;

/// <summary>
/// A red-team report in the shape of a scan report, so the shared SARIF reporter writes it: each target is an
/// artifact (its URL), each finding a result on that target with the probe or attack as its location, and the
/// RAMP-RT rules (with their ATLAS and OWASP references) as the driver's rules.
/// </summary>
public static class RedTeamSarif
{
    public static ScanReport ToScanReport(RedTeamReport report, Severity failOn)
    {
        ArgumentNullException.ThrowIfNull(report);
        var artifacts = report.Runs.Select(r => new ArtifactReport(
            r.Target, null, ["redteam-" + report.Kind], null, ArtifactStatus.Scanned,
            r.Findings.Aggregate(r.Partial ? Verdict.Inconclusive : Verdict.Clean, (v, f) => v.Worst(f.RuleId == "RAMP-RT-000" ? Verdict.Inconclusive : Verdict.NeedsReview)),
            null, ImmutableSortedDictionary<string, string>.Empty.Add("label", r.Label))).ToImmutableArray();
        var findings = report.Runs.SelectMany(r => r.Findings.Select(f => new Finding(
            f.RuleId, f.Severity, f.RuleId == "RAMP-RT-000" ? Verdict.Inconclusive : Verdict.NeedsReview,
            $"[{r.Label}] {f.Message}", r.Target, new FindingLocation(Detail: f.Subject),
            ImmutableSortedDictionary<string, string>.Empty.Add("name", f.Subject).Add("run", r.Label).AddRange(f.Evidence is null ? [] : [KeyValuePair.Create("evidence", f.Evidence)])))).ToImmutableArray();
        return new ScanReport(report.Tool, report.StartedAt, TimeSpan.FromSeconds(report.Runs.Sum(r => r.Duration.TotalSeconds)),
            [.. report.Runs.Select(r => r.Target)], failOn, artifacts, findings, [], [.. report.Runs.SelectMany(r => r.Errors)], Probes.ProbeCatalog.Shipped.Rules);
    }
}
