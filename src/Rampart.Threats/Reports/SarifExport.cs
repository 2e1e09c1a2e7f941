using System.Collections.Immutable;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Core.Reporting.Sarif;
using Rampart.Core.Rules;
using Rampart.Scanning;
using Rampart.Threats.Assessment;
using Rampart.Threats.Model;

namespace Rampart.Threats.Reports;

/// <summary>
/// SARIF for CI: one result per open high or critical risk (not mitigated, not accepted), located at its component's or
/// flow's line in system.yaml. Written by Core's SARIF reporter, so code-scanning tools see threats exactly as they
/// see scan findings (rule help, security-severity, stable fingerprints per threat id).
/// </summary>
public static class SarifExport
{
    public static async ValueTask WriteAsync(ThreatAssessment assessment, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var report = ToScanReport(assessment);
        await new SarifReporter(assessment.System.BaseDirectory).WriteAsync(report, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The open high risks as a scan report over system.yaml (exit code 1 when there is any).</summary>
    public static ScanReport ToScanReport(ThreatAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var source = Path.GetFileName(assessment.System.Source);
        var open = assessment.OpenHighRisks.ToList();
        var rules = open.DistinctBy(t => t.Rule.Id).Select(Definition);
        var findings = open.Select(t => new Finding(
            t.Rule.Id,
            t.Residual.Level == RiskLevel.Critical ? Severity.Critical : Severity.High,
            Verdict.NeedsReview,
            $"{t.Id}: {t.Rule.Title} on {t.SubjectName}: residual risk {MarkdownReport.RiskText(t.Residual)}, {Wire.Name(t.Status)}; key mitigations: {string.Join(", ", t.KeyMitigations.Select(m => $"{m.Mitigation.Id} {MarkdownReport.Outcome(m.Outcome)}"))}; owners {t.Owners.Security} (security), {t.Owners.DataScience} (data science), due {t.Due:yyyy-MM-dd}",
            source,
            new FindingLocation(Line: t.Line.Line, Column: t.Line.Column, Detail: t.Id),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("name", t.Id)]))).ToImmutableArray();
        var artifact = new ArtifactReport(source, null, ["system-yaml"], null, ArtifactStatus.Scanned,
            findings.IsEmpty ? Verdict.Clean : Verdict.NeedsReview, null, ImmutableSortedDictionary<string, string>.Empty);
        return new ScanReport(RampartTool.Info, assessment.AsOf, TimeSpan.Zero, [source], Severity.High, [artifact], findings, [], [], new RuleCatalog(rules));
    }

    private static RuleDefinition Definition(Threat t) => new(
        t.Rule.Id,
        string.Concat(t.Rule.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..])),
        t.Rule.Title,
        Severity.High,
        Verdict.NeedsReview,
        t.Rule.Summary,
        t.Rule.Fix,
        [.. t.Techniques.Select(a => new RuleReference(a.Id, $"MITRE ATLAS: {a.Name}", a.Url))],
        ["threat-model", .. t.Rule.Owasp],
        new RuleMatch([], $"threats.{t.Rule.Target.ToString().ToLowerInvariant()}"),
        new RuleSelfTests([], []),
        "rules/threats/applicability.json");
}
