using System.Collections.Immutable;
using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Core.Rules;

namespace Rampart.Core.Tests.Reporting;

/// <summary>Scan reports built by hand, covering every part of the report: members, offsets, suppressions, warnings.</summary>
public static class SampleReports
{
    public static readonly ToolInfo Tool = new("rampart", "9.8.7", new Uri("https://example.test/rampart"), new Uri("https://example.test/docs/rules/"));

    public static RuleDefinition Rule(string id, Severity severity, Verdict verdict, string name = "test-rule") => new(
        id,
        name,
        $"Title of {id}",
        severity,
        verdict,
        $"Summary of {id}: why it matters.",
        $"Fix of {id}: convert to safetensors.",
        [new RuleReference("AML.T0010", "MITRE ATLAS: ML Supply Chain Compromise", new Uri("https://atlas.mitre.org/techniques/AML.T0010")),
         new RuleReference("CVE-0000-0000", "A reference without a link", null)],
        ["pickle", "code-execution"],
        new RuleMatch([], "test.detector"),
        new RuleSelfTests(["fixture/x"], []),
        "test");

    public static RuleCatalog Catalog { get; } = new([
        Rule("RAMP-PKL-101", Severity.Critical, Verdict.Malicious, "dangerous-global"),
        Rule("RAMP-PKL-201", Severity.Low, Verdict.NeedsReview, "unknown-global"),
        Rule("RAMP-GEN-001", Severity.Medium, Verdict.Inconclusive, "malformed-content"),
        Rule("RAMP-ZIP-001", Severity.High, Verdict.Malicious, "unreferenced"),
    ]);

    public static ArtifactReport Artifact(string path, string? parent, Verdict verdict, ArtifactStatus status = ArtifactStatus.Scanned, params string[] formats) =>
        new(path, parent, [.. formats], 1234, status, verdict, status == ArtifactStatus.Skipped ? "not a model format" : null,
            ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));

    public static Finding MemberFinding { get; } = new(
        "RAMP-PKL-101", Severity.Critical, Verdict.Malicious, "the pickle calls os.system",
        "models/evil.pt!/archive/data.pkl", FindingLocation.AtOffset(42, "opcode REDUCE #3"),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("name", "os.system")]));

    public static Finding TopLevelFinding { get; } = new(
        "RAMP-GEN-001", Severity.Medium, Verdict.Inconclusive, "truncated pickle",
        "models/broken.pkl", FindingLocation.AtOffset(7));

    public static Finding SuppressedFinding { get; } = new(
        "RAMP-PKL-201", Severity.Low, Verdict.NeedsReview, "unknown global mylib.Layer",
        "models/evil.pt!/archive/data.pkl", FindingLocation.None,
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("name", "mylib.Layer")]));

    /// <summary>A malicious member, an inconclusive file, a clean file, a skipped README, a suppression and a warning.</summary>
    public static ScanReport Full(Severity failOn = Severity.Medium) => new(
        Tool,
        new DateTimeOffset(2026, 11, 22, 4, 30, 0, TimeSpan.Zero),
        TimeSpan.FromMilliseconds(1234.4),
        ["models"],
        failOn,
        [
            Artifact("models/broken.pkl", null, Verdict.Inconclusive, ArtifactStatus.Scanned, "pickle"),
            Artifact("models/evil.pt", null, Verdict.Malicious, ArtifactStatus.Scanned, "zip", "pytorch"),
            Artifact("models/evil.pt!/archive/data.pkl", "models/evil.pt", Verdict.Malicious, ArtifactStatus.Scanned, "pickle"),
            Artifact("models/good.pt", null, Verdict.Clean, ArtifactStatus.Scanned, "zip"),
            Artifact("models/README.md", null, Verdict.Clean, ArtifactStatus.Skipped),
        ],
        [MemberFinding, TopLevelFinding],
        [new SuppressedFinding(SuppressedFinding, "mylib is our own package", new DateOnly(2027, 1, 31))],
        ["suppression of RAMP-PKL-9* (old) expired on 2026-01-01 and no longer applies"],
        Catalog);

    /// <summary>Nothing found in one clean file.</summary>
    public static ScanReport Clean() => new(
        Tool,
        new DateTimeOffset(2026, 11, 22, 4, 30, 0, TimeSpan.Zero),
        TimeSpan.Zero,
        ["model.safetensors"],
        Severity.Medium,
        [Artifact("model.safetensors", null, Verdict.Clean, ArtifactStatus.Scanned, "safetensors")],
        [],
        [],
        [],
        Catalog);

    public static async Task<string> RenderAsync(IReporter reporter, ScanReport report)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        using var stream = new MemoryStream();
        await reporter.WriteAsync(report, stream, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
