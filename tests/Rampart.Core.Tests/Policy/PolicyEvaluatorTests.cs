using System.Collections.Immutable;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;

namespace Rampart.Core.Tests.Policy;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateOnly Today = new(2026, 11, 22);

    private static Finding Finding(string rule = "RAMP-PKL-101", string path = "models/a.pt!/archive/data.pkl", string? name = "os.system") =>
        new(rule, Severity.Critical, Verdict.Malicious, "m", path, FindingLocation.None,
            name is null ? null : ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("name", name)]));

    private static ScanPolicy With(params Suppression[] suppressions) => ScanPolicy.Default with { Suppressions = [.. suppressions] };

    [Fact]
    public void Apply_NoSuppressions_KeepsEverything()
    {
        var outcome = PolicyEvaluator.Apply([Finding(), Finding("RAMP-GEN-001")], ScanPolicy.Default, Today);
        outcome.Kept.Should().HaveCount(2);
        outcome.Suppressed.Should().BeEmpty();
        outcome.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Apply_MatchingSuppression_MovesFindingToSuppressedWithJustification()
    {
        var finding = Finding();
        var outcome = PolicyEvaluator.Apply([finding, Finding("RAMP-GEN-001")], With(new Suppression("RAMP-PKL-101", null, null, "reviewed", new DateOnly(2027, 1, 1))), Today);
        outcome.Kept.Select(f => f.RuleId).Should().Equal("RAMP-GEN-001");
        outcome.Suppressed.Should().ContainSingle().Which.Should().Be(new SuppressedFinding(finding, "reviewed", new DateOnly(2027, 1, 1)));
    }

    [Fact]
    public void Apply_ExpiredSuppression_KeepsFindingAndWarns()
    {
        var outcome = PolicyEvaluator.Apply([Finding()], With(new Suppression("RAMP-PKL-101", null, null, "old review", new DateOnly(2026, 11, 21))), Today);
        outcome.Kept.Should().ContainSingle();
        outcome.Suppressed.Should().BeEmpty();
        outcome.Warnings.Should().ContainSingle().Which.Should().Be("suppression of RAMP-PKL-101 (old review) expired on 2026-11-21 and no longer applies");
    }

    [Fact]
    public void Apply_SuppressionExpiringToday_StillApplies()
    {
        var outcome = PolicyEvaluator.Apply([Finding()], With(new Suppression("RAMP-PKL-101", null, null, "until today", Today)), Today);
        outcome.Suppressed.Should().ContainSingle();
        outcome.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Apply_ExpiredThenValidSuppression_UsesTheValidOneAndStillWarns()
    {
        var policy = With(
            new Suppression("RAMP-PKL-*", null, null, "expired", new DateOnly(2020, 1, 1)),
            new Suppression("RAMP-PKL-101", null, null, "current", null));
        var outcome = PolicyEvaluator.Apply([Finding()], policy, Today);
        outcome.Suppressed.Should().ContainSingle().Which.Justification.Should().Be("current");
        outcome.Warnings.Should().ContainSingle().Which.Should().Contain("expired");
    }

    [Fact]
    public void Apply_SameExpiredSuppressionHitTwice_WarnsOnce()
    {
        var outcome = PolicyEvaluator.Apply([Finding(), Finding(path: "b.pt")], With(new Suppression("RAMP-PKL-101", null, null, "old", new DateOnly(2020, 1, 1))), Today);
        outcome.Kept.Should().HaveCount(2);
        outcome.Warnings.Should().ContainSingle();
    }

    [Theory]
    [InlineData("RAMP-PKL-101", null, null, true)]
    [InlineData("RAMP-PKL-*", null, null, true)]
    [InlineData("RAMP-ZIP-*", null, null, false)]
    [InlineData("RAMP-PKL-101", "models/a.pt!/archive/data.pkl", null, true)]
    [InlineData("RAMP-PKL-101", "models/**", null, true)]
    [InlineData("RAMP-PKL-101", "models/*.pt", null, false)]
    [InlineData("RAMP-PKL-101", "other/**", null, false)]
    [InlineData("RAMP-PKL-101", null, "os.system", true)]
    [InlineData("RAMP-PKL-101", null, "os.*", true)]
    [InlineData("RAMP-PKL-101", null, "posix.*", false)]
    [InlineData("RAMP-PKL-101", "models/**", "os.system", true)]
    [InlineData("RAMP-PKL-101", "models/**", "posix.system", false)]
    public void Matches_RulePathAndName_AllMustMatch(string rule, string? path, string? name, bool expected)
    {
        new Suppression(rule, path, name, "j", null).Matches(Finding()).Should().Be(expected);
    }

    [Fact]
    public void Matches_NameGivenButFindingHasNoName_DoesNotMatch()
    {
        new Suppression("RAMP-PKL-101", null, "*", "j", null).Matches(Finding(name: null)).Should().BeFalse();
    }
}
