using Rampart.Threats.Assessment;
using Rampart.Threats.Model;

namespace Rampart.Threats.Tests.Assessment;

public sealed class RiskTests
{
    private static string Endpoint(string exposure, string dataClasses, string extra = "") => Yaml.Header + $"""
        components:
          - id: api
            kind: serving-endpoint
            exposure: {exposure}
            modelType: classic
            dataClasses: [{dataClasses}]
        {extra}
        """;

    [Theory]
    [InlineData("internal", 2)]
    [InlineData("partner", 3)]
    [InlineData("public", 4)]
    public async Task Likelihood_FollowsExposure(string exposure, int expected)
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(Endpoint(exposure, "internal"));
        a.Threat("RAMP-THR-006:api").Inherent.Likelihood.Should().Be(expected, "evasion is likelihood 3 at partner exposure, one less internal, one more public");
    }

    [Theory]
    [InlineData("public", 3)]
    [InlineData("internal", 3)]
    [InlineData("personal", 4)]
    [InlineData("confidential", 4)]
    [InlineData("personal, confidential", 5)]
    public async Task Impact_FollowsDataClasses(string classes, int expected)
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(Endpoint("public", classes));
        a.Threat("RAMP-THR-006:api").Inherent.Impact.Should().Be(expected);
    }

    [Fact]
    public async Task Override_ReplacesScoresAndOwners_AndSetsDueDate()
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(Endpoint("public", "internal", """
            risks:
              - threat: RAMP-THR-006:api
                likelihood: 5
                impact: 5
                justification: Fraud rings probe the threshold daily.
                owners: { security: Sam, dataScience: Dana }
                due: 2026-12-01
            """));
        var t = a.Threat("RAMP-THR-006:api");
        t.Inherent.Should().Be(new Risk(5, 5));
        t.Residual.Level.Should().Be(RiskLevel.Critical);
        t.Owners.Should().Be(new Owners("Sam", "Dana"));
        t.Due.Should().Be(new DateOnly(2026, 12, 1));
        t.Override!.Justification.Should().Contain("threshold");
        t.IsOpenHighRisk.Should().BeTrue();
    }

    [Theory]
    [InlineData(RiskDecision.Accept)]
    [InlineData(RiskDecision.Transfer)]
    public async Task AcceptedRisk_IsNotAnOpenHighRisk(RiskDecision decision)
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(Endpoint("public", "internal", $$"""
            risks:
              - threat: RAMP-THR-006:api
                likelihood: 5
                impact: 5
                justification: Covered by the bank's fraud insurance.
                owners: { security: Sam, dataScience: Dana }
                decision: {{Wire.Name(decision)}}
            """));
        a.Threat("RAMP-THR-006:api").IsOpenHighRisk.Should().BeFalse();
        a.OpenHighRisks.Should().NotContain(t => t.Id == "RAMP-THR-006:api");
    }

    [Fact]
    public async Task DefaultDueDate_CountsFromTheReviewByLevel()
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(Endpoint("public", "personal, confidential"));
        foreach (var t in a.Threats)
        {
            t.Due.Should().Be(new DateOnly(2026, 11, 20).AddDays(ThreatAssessor.DueDays(t.Residual.Level)));
            t.Owners.Should().Be(new Owners("sec-owner", "ds-owner"));
        }
    }

    [Theory]
    [InlineData("RAMP-THR-099:api", "names threat 'RAMP-THR-099:api', which this system does not have")]
    [InlineData("RAMP-THR-006:web", "names threat 'RAMP-THR-006:web'")]
    public async Task Override_ForUnknownThreat_IsAnErrorWithLine(string threat, string expected)
    {
        using var dir = new SystemFolder();
        var act = () => dir.AssessAsync(Endpoint("public", "internal", $$"""
            risks:
              - threat: {{threat}}
                impact: 2
                justification: x
                owners: { security: Sam, dataScience: Dana }
            """));
        (await act.Should().ThrowAsync<SystemModelException>()).Which.Errors.Should().ContainSingle()
            .Which.Should().Contain(expected).And.Contain("system.yaml:13:");
    }

    [Fact]
    public async Task Attestation_OfUnknownMitigation_IsAnError()
    {
        using var dir = new SystemFolder();
        var act = () => dir.AssessAsync(Endpoint("public", "internal", "attestations:\n  - { mitigation: AML.M9999, by: x, statement: y }\n"));
        (await act.Should().ThrowAsync<SystemModelException>()).Which.Errors.Single().Should().Contain("AML.M9999");
    }

    [Theory]
    [InlineData(1, 5, RiskLevel.Low)]
    [InlineData(2, 3, RiskLevel.Medium)]
    [InlineData(3, 4, RiskLevel.High)]
    [InlineData(4, 5, RiskLevel.Critical)]
    public void Level_FromScore(int likelihood, int impact, RiskLevel expected) => new Risk(likelihood, impact).Level.Should().Be(expected);

    [Fact]
    public async Task Diff_ExposingTheEndpointAndAddingAnLlm_ShowsNewAndRiskierThreats()
    {
        using var dir = new SystemFolder();
        var before = await dir.AssessAsync(Endpoint("internal", "internal"));
        var after = await dir.AssessAsync(Endpoint("public", "personal") + """
              - id: bot
                kind: llm-app
                retrieval: true
            flows:
              - { from: api, to: bot }
            """);
        var diff = AssessmentDiff.Compare(before, after);
        diff.ComponentsAdded.Should().Equal("bot");
        diff.ComponentsChanged.Should().ContainSingle().Which.Should().StartWith("api: serving-endpoint internal").And.Contain("-> serving-endpoint public");
        diff.FlowsAdded.Should().Equal("api -> bot");
        diff.Threats.Should().Contain(c => c.Kind == ChangeKind.RiskUp && c.Id == "RAMP-THR-006:api");
        diff.Threats.Should().Contain(c => c.Kind == ChangeKind.Added && c.Id == "RAMP-THR-005:api");
        diff.Threats.Should().Contain(c => c.Kind == ChangeKind.Added && c.Id == "RAMP-THR-009:bot");
        diff.NewOpenHighRisk.Should().BeTrue();
        diff.ToMarkdown().Should().Contain("| added | RAMP-THR-009:bot |").And.Contain("riskier");

        var back = AssessmentDiff.Compare(after, before);
        back.Threats.Should().Contain(c => c.Kind == ChangeKind.Removed && c.Id == "RAMP-THR-009:bot");
        back.Threats.Should().Contain(c => c.Kind == ChangeKind.RiskDown && c.Id == "RAMP-THR-006:api");
        back.NewOpenHighRisk.Should().BeFalse();

        AssessmentDiff.Compare(before, before).Threats.Should().BeEmpty();
    }
}
