using System.Collections.Immutable;
using Rampart.Threats.Atlas;
using Rampart.Threats.Evidence;
using Rampart.Threats.Model;
using Rampart.Threats.Rules;

namespace Rampart.Threats.Assessment;

/// <summary>What the evidence says about one key mitigation of a threat.</summary>
public enum MitigationOutcome
{
    /// <summary>Nothing Rampart can see shows it, and nobody attested it.</summary>
    NoEvidence,

    /// <summary>Partial evidence, or only a person's attestation.</summary>
    Partial,

    /// <summary>An artifact shows it in place.</summary>
    Verified,

    /// <summary>An artifact shows it missing or broken.</summary>
    Failed,
}

public enum ThreatStatus
{
    Open,
    Partial,
    Mitigated,
}

public enum RiskLevel
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Likelihood and impact from 1 to 5; the score is their product.</summary>
public sealed record Risk(int Likelihood, int Impact)
{
    public int Score => Likelihood * Impact;

    public RiskLevel Level => Score switch
    {
        >= 20 => RiskLevel.Critical,
        >= 12 => RiskLevel.High,
        >= 6 => RiskLevel.Medium,
        _ => RiskLevel.Low,
    };
}

public sealed record MitigationResult(
    AtlasMitigation Mitigation,
    MitigationOutcome Outcome,
    ImmutableArray<EvidenceItem> Evidence,
    ImmutableArray<Attestation> Attestations,
    string? Use);

/// <summary>
/// One threat: a rule applied to one component or flow, with its ATLAS techniques and OWASP entries, its key
/// mitigations judged against the evidence, the other ATLAS mitigations that answer it, and its risk before
/// (<see cref="Inherent"/>) and after (<see cref="Residual"/>) the mitigations in place.
/// </summary>
public sealed record Threat(
    string Id,
    ThreatRule Rule,
    string SubjectId,
    string SubjectName,
    SourceLine Line,
    ImmutableArray<AtlasTechnique> Techniques,
    ImmutableArray<OwaspEntry> Owasp,
    ImmutableArray<MitigationResult> KeyMitigations,
    ImmutableArray<AtlasMitigation> OtherMitigations,
    ThreatStatus Status,
    Risk Inherent,
    Risk Residual,
    RiskOverride? Override,
    Owners Owners,
    string? ComponentOwner,
    DateOnly Due,
    RiskDecision Decision)
{
    /// <summary>Open or partly mitigated, residual risk high or critical, and not accepted, transferred or avoided: what CI gates on.</summary>
    public bool IsOpenHighRisk => Status != ThreatStatus.Mitigated && Residual.Level >= RiskLevel.High && Decision == RiskDecision.Mitigate;
}

/// <summary>The result of assessing one system.yaml: every threat, with evidence, risk and register fields.</summary>
public sealed record ThreatAssessment(SystemModel System, DateTimeOffset AsOf, string AtlasVersion, ImmutableArray<Threat> Threats, EvidenceSet Evidence)
{
    public IEnumerable<Threat> OpenHighRisks => Threats.Where(t => t.IsOpenHighRisk);
}
