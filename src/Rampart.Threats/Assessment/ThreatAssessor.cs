using System.Collections.Immutable;
using Rampart.Threats.Evidence;
using Rampart.Threats.Model;
using Rampart.Threats.Rules;

namespace Rampart.Threats.Assessment;

/// <summary>
/// Applies the rules to a system description, judges each threat's key mitigations against the evidence, and scores
/// its risk (docs/threats.md, "Risk"): likelihood from the rule and the subject's exposure, impact from the rule and
/// the data classes, each replaceable by a justified override; residual likelihood falls by one step for a partly
/// mitigated threat and two for a mitigated one.
/// </summary>
public static class ThreatAssessor
{
    /// <summary>Days from the review date to the due date, by residual risk level.</summary>
    public static int DueDays(RiskLevel level) => level switch
    {
        RiskLevel.Critical => 14,
        RiskLevel.High => 30,
        RiskLevel.Medium => 90,
        _ => 180,
    };

    /// <summary>Reads system.yaml, checks its evidence, and assesses it as of <paramref name="time"/>'s now.</summary>
    public static async Task<ThreatAssessment> AssessFileAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var system = SystemParser.Load(path);
        var evidence = await new EvidenceCollector(time).CollectAsync(system, cancellationToken).ConfigureAwait(false);
        return Assess(system, evidence, ThreatRuleCatalog.Default, time.GetUtcNow());
    }

    /// <summary>Parses nothing and reads nothing: applies the rules to <paramref name="system"/> with the evidence given.</summary>
    public static ThreatAssessment Assess(SystemModel system, EvidenceSet evidence, ThreatRuleCatalog catalog, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(catalog);
        var errors = new List<string>();
        foreach (var a in system.Attestations.Where(a => catalog.Atlas.Mitigation(a.Mitigation) is null))
        {
            errors.Add($"{system.Source}:{a.Line}: attestation names {a.Mitigation}, which is not an ATLAS {catalog.Atlas.Version} mitigation");
        }

        var threats = new List<Threat>();
        foreach (var rule in catalog.Rules)
        {
            foreach (var (subjectId, subjectName, line, ends) in ThreatGenerator.Subjects(system, rule))
            {
                threats.Add(Build(system, evidence, catalog, rule, subjectId, subjectName, line, ends));
            }
        }

        var ids = threats.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var o in system.Risks.Where(o => !ids.Contains(o.Threat)))
        {
            errors.Add($"{system.Source}:{o.Line}: risk entry names threat '{o.Threat}', which this system does not have (threat ids are RULE:component or RULE:flow, as printed in the report)");
        }

        foreach (var group in system.Risks.GroupBy(o => o.Threat, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"{system.Source}:{group.Skip(1).First().Line}: threat '{group.Key}' has more than one risk entry");
        }

        if (errors.Count > 0)
        {
            throw new SystemModelException(system.Source, errors);
        }

        return new ThreatAssessment(system, asOf, catalog.Atlas.Version, [.. threats], evidence);
    }

    private static Threat Build(SystemModel system, EvidenceSet evidence, ThreatRuleCatalog catalog, ThreatRule rule, string subjectId, string subjectName, SourceLine line, ImmutableArray<Component> ends)
    {
        // The evidence that bears on a threat: its components', what flows directly into them, and the system's own.
        var scope = ends.SelectMany(c => system.Upstream(c.Id).Prepend(c)).Select(c => c.Id).Distinct(StringComparer.Ordinal).ToList();
        var items = scope.SelectMany(id => evidence.For(id)).Concat(evidence.SystemWide).ToList();
        var attestations = system.Attestations.Where(a => a.Component is null || ends.Any(c => c.Id == a.Component)).ToList();

        var key = rule.Mitigations.Select(id =>
        {
            var checks = catalog.MitigationChecks[id];
            var found = items.Where(i => checks.Contains(i.Check)).Distinct().ToImmutableArray();
            var attested = attestations.Where(a => a.Mitigation == id).ToImmutableArray();
            var outcome = found.Any(i => i.Status == EvidenceStatus.Failed) ? MitigationOutcome.Failed
                : found.Any(i => i.Status == EvidenceStatus.Passed) ? MitigationOutcome.Verified
                : found.Any(i => i.Status == EvidenceStatus.Partial) || !attested.IsEmpty ? MitigationOutcome.Partial
                : MitigationOutcome.NoEvidence;
            var use = rule.Atlas.Select(t => catalog.Atlas.Use(id, t)).FirstOrDefault(u => u is not null);
            return new MitigationResult(catalog.Atlas.Mitigation(id)!, outcome, found, attested, use);
        }).ToImmutableArray();

        var status = key.Any(m => m.Outcome == MitigationOutcome.Failed) ? ThreatStatus.Open
            : key.All(m => m.Outcome == MitigationOutcome.Verified) ? ThreatStatus.Mitigated
            : key.Any(m => m.Outcome is MitigationOutcome.Verified or MitigationOutcome.Partial) ? ThreatStatus.Partial
            : ThreatStatus.Open;

        var others = rule.Atlas.SelectMany(catalog.Atlas.MitigationsFor).DistinctBy(m => m.Id).Where(m => !rule.Mitigations.Contains(m.Id))
            .OrderBy(m => m.Id, StringComparer.Ordinal).ToImmutableArray();

        var id = $"{rule.Id}:{subjectId}";
        var exposure = ends.Max(c => c.Exposure);
        var classes = ends.Length == 1 ? ends[0].DataClasses : ThreatGenerator.FlowClasses(system, subjectId);
        var defaultLikelihood = Math.Clamp(rule.Likelihood + exposure switch { Exposure.Public => 1, Exposure.Partner => 0, _ => -1 }, 1, 5);
        var dataImpact = (classes.Contains(DataClass.Personal), classes.Contains(DataClass.Confidential)) switch
        {
            (true, true) => 5,
            (true, false) or (false, true) => 4,
            _ => 1,
        };
        var over = system.Risks.FirstOrDefault(o => o.Threat == id);
        var inherent = new Risk(over?.Likelihood ?? defaultLikelihood, over?.Impact ?? Math.Max(rule.Impact, dataImpact));
        var residual = inherent with
        {
            Likelihood = Math.Max(1, inherent.Likelihood - status switch { ThreatStatus.Mitigated => 2, ThreatStatus.Partial => 1, _ => 0 }),
        };
        var due = over?.Due ?? system.Review.Date.AddDays(DueDays(residual.Level));
        return new Threat(id, rule, subjectId, subjectName, line,
            [.. rule.Atlas.Select(t => catalog.Atlas.Technique(t)!)],
            [.. rule.Owasp.Select(o => catalog.Owasp(o)!)],
            key, others, status, inherent, residual, over, over?.Owners ?? system.Review.Owners,
            ends.Length == 1 ? ends[0].Owner : null, due, over?.Decision ?? RiskDecision.Mitigate);
    }
}
