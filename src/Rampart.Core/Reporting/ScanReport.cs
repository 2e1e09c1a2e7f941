using System.Collections.Immutable;
using Rampart.Core.Rules;

namespace Rampart.Core.Reporting;

/// <summary>Identity of the program that wrote a report.</summary>
public sealed record ToolInfo(string Name, string Version, Uri InformationUri, Uri RuleDocsBaseUri)
{
    public Uri RuleHelpUri(string ruleId) => new(RuleDocsBaseUri, $"{ruleId}.md");
}

/// <summary>Whether an artifact was analysed, and by what.</summary>
public enum ArtifactStatus
{
    /// <summary>At least one analyzer understood it.</summary>
    Scanned,

    /// <summary>No analyzer applies and nothing suggests it is a model file (a README, an image).</summary>
    Skipped,
}

/// <summary>One file, archive member or embedded stream that the scan looked at.</summary>
/// <param name="Path">Logical path ("a.pt", "a.pt!/archive/data.pkl", "a.pkl#pickle[2]").</param>
/// <param name="Parent">The logical path of the artifact it came out of, if any.</param>
/// <param name="Formats">Ids of the analyzers that understood it, e.g. ["zip", "pytorch"].</param>
/// <param name="Length">Size in bytes, when known.</param>
/// <param name="Status">Whether an analyzer understood it.</param>
/// <param name="SkipReason">Why it was skipped, when it was.</param>
/// <param name="Verdict">The worst verdict of its own findings and of everything inside it.</param>
/// <param name="Facts">What the analyzers learnt about it (pickle protocol, opcode count, imported globals, ...).</param>
public sealed record ArtifactReport(
    string Path,
    string? Parent,
    ImmutableArray<string> Formats,
    long? Length,
    ArtifactStatus Status,
    Verdict Verdict,
    string? SkipReason,
    ImmutableSortedDictionary<string, string> Facts);

/// <summary>A finding that a policy suppression removed from the verdict, kept for the audit trail.</summary>
public sealed record SuppressedFinding(Finding Finding, string Justification, DateOnly? Expires);

/// <summary>Counts for the report's summary line.</summary>
public sealed record ScanSummary(
    int Files,
    int Artifacts,
    int Clean,
    int NeedsReview,
    int Inconclusive,
    int Malicious,
    int Skipped,
    ImmutableSortedDictionary<Severity, int> FindingsBySeverity);

/// <summary>The result of one scan: what was looked at, what was found, and what it means for the exit code.</summary>
public sealed record ScanReport(
    ToolInfo Tool,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    ImmutableArray<string> Targets,
    Severity FailOn,
    ImmutableArray<ArtifactReport> Artifacts,
    ImmutableArray<Finding> Findings,
    ImmutableArray<SuppressedFinding> Suppressed,
    ImmutableArray<string> Warnings,
    RuleCatalog Rules)
{
    /// <summary>Version of the JSON report schema (docs/report-schema.json). Bump the major on breaking changes.</summary>
    public const string SchemaVersion = "1.0.0";

    /// <summary>The worst verdict over every artifact.</summary>
    public Verdict Verdict => Artifacts.Aggregate(Verdict.Clean, (v, a) => v.Worst(a.Verdict));

    /// <summary>Findings that decide exit code 1: at or above the threshold, and not merely "could not scan".</summary>
    public IEnumerable<Finding> FailingFindings =>
        Findings.Where(f => f.Verdict != Verdict.Inconclusive && f.Severity >= FailOn);

    /// <summary>The process exit code this report implies (README: exit codes).</summary>
    public int ExitCode =>
        FailingFindings.Any() ? ExitCodes.Findings
        : Artifacts.Any(a => a.Verdict == Verdict.Inconclusive) ? ExitCodes.Inconclusive
        : ExitCodes.Clean;

    public ScanSummary Summary
    {
        get
        {
            var bySeverity = Enum.GetValues<Severity>().ToImmutableSortedDictionary(s => s, s => Findings.Count(f => f.Severity == s));
            var topLevel = Artifacts.Count(a => a.Parent is null);
            var scanned = Artifacts.Where(a => a.Status == ArtifactStatus.Scanned).ToList();
            return new ScanSummary(
                topLevel,
                Artifacts.Length,
                scanned.Count(a => a.Verdict == Verdict.Clean),
                scanned.Count(a => a.Verdict == Verdict.NeedsReview),
                Artifacts.Count(a => a.Verdict == Verdict.Inconclusive),
                Artifacts.Count(a => a.Verdict == Verdict.Malicious),
                Artifacts.Count(a => a.Status == ArtifactStatus.Skipped),
                bySeverity);
        }
    }
}
