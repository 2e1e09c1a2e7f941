using System.Globalization;
using System.Text.RegularExpressions;
using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Targets;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Probes;

/// <summary>The shipped probes, detectors and RAMP-RT rules: complete, mapped, documented, and their self-tests hold.</summary>
public sealed partial class ProbeCatalogTests
{
    private static ProbeCatalog Catalog => ProbeCatalog.Shipped;

    public static TheoryData<string> RuleIds() => [.. Catalog.Rules.Rules.Select(r => r.Id)];

    [Fact]
    public void Families_CoverEveryFamilyOfTheIssue()
    {
        Catalog.Families.Should().BeEquivalentTo(
            "prompt-injection", "indirect-injection", "jailbreak", "system-prompt-extraction", "secret-leakage", "pii-leakage",
            "training-data-extraction", "forbidden-content", "bias", "encoding", "package-hallucination", "markdown-exfiltration", "tool-call-abuse");
    }

    [Fact]
    public void Select_UnknownFamily_NamesTheKnownOnes()
    {
        var act = () => Catalog.Select(["prompt-injection", "telepathy"]);
        act.Should().Throw<ArgumentException>().WithMessage("*telepathy*known: prompt-injection*");
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_HasDocumentationPageAndMappings(string id)
    {
        var rule = Catalog.Rules[id];
        RuleDocPages.ReadChecked(id);
        if (id != "RAMP-RT-000")
        {
            rule.References.Should().Contain(r => AtlasId().IsMatch(r.Id), "each red-team rule maps to a MITRE ATLAS technique");
            rule.References.Should().Contain(r => r.Id.StartsWith("OWASP ", StringComparison.Ordinal), "and to an OWASP Top 10 entry");
        }
    }

    [GeneratedRegex(@"^AML\.T\d{4}(\.\d{3})?$")]
    private static partial Regex AtlasId();

    [Fact]
    public void EveryRule_IsUsedByAProbeOrAnAttack()
    {
        var used = Catalog.Probes.Select(p => p.RuleId).Concat(AttackPolicy.Shipped.Values.Select(a => a.RuleId)).Append("RAMP-RT-000").ToHashSet();
        Catalog.Rules.Rules.Select(r => r.Id).Should().OnlyContain(id => used.Contains(id));
    }

    private static readonly AttemptValues Values = new("rt0123456789", "cn0123456789", "invoicekit-abcdef", null, ["cn-user-canary"], ["user-secret-42"]);

    private static string Fill(string sample) => sample
        .Replace("{nonce}", Values.Nonce, StringComparison.Ordinal).Replace("{canary}", Values.Canary, StringComparison.Ordinal)
        .Replace("{secret}", Values.Secrets[0], StringComparison.Ordinal).Replace("{package}", Values.Package, StringComparison.Ordinal);

    /// <summary>Whether the rule's detector (its first probe's, or its attack threshold) fires on a self-test sample.</summary>
    private static bool Fires(string ruleId, string sample)
    {
        var metric = MetricSample().Match(sample);
        if (metric.Success)
        {
            var threshold = AttackPolicy.Shipped.Values.First(a => a.RuleId == ruleId);
            return threshold.Fails(new Dictionary<string, double> { [metric.Groups[1].Value == threshold.Metric ? threshold.Metric : metric.Groups[1].Value] = double.Parse(metric.Groups[2].Value, CultureInfo.InvariantCulture) });
        }

        if (ruleId == "RAMP-RT-000")
        {
            return sample == "error";
        }

        var probe = Catalog.Probes.First(p => p.RuleId == ruleId);
        if (sample.StartsWith("disparity:", StringComparison.Ordinal))
        {
            var scores = sample[10..].Split(';').SelectMany(g => g.Split('=')[1].Split(',').Select(v => (g.Split('=')[0], (double?)double.Parse(v, CultureInfo.InvariantCulture))));
            return ProbeJudge.Disparity(scores).Disparity >= probe.Detector.Threshold;
        }

        var answer = sample.StartsWith("tool:", StringComparison.Ordinal)
            ? new ChatAnswer("", [sample[5..]], 200, false, false)
            : new ChatAnswer(Fill(sample.StartsWith("replay:", StringComparison.Ordinal) ? sample[7..] : sample), [], 200, false, false);
        return ProbeJudge.Judge(probe, answer, Values, Catalog).Failed;
    }

    [GeneratedRegex(@"^([a-z_]+)=([0-9.]+)$")]
    private static partial Regex MetricSample();

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_SelfTests_Pass(string id)
    {
        var rule = Catalog.Rules[id];
        foreach (var sample in rule.SelfTests.MustMatch)
        {
            Fires(id, sample).Should().BeTrue($"'{sample}' is in the mustMatch list of {id}");
        }

        foreach (var sample in rule.SelfTests.MustNotMatch)
        {
            Fires(id, sample).Should().BeFalse($"'{sample}' is in the mustNotMatch list of {id}");
        }
    }

    [Theory]
    [InlineData("base64", "SWdub3Jl")]
    [InlineData("hex", "49676e6f7265")]
    [InlineData("rot13", "Vtaber")]
    [InlineData("reverse", "erongI")]
    [InlineData("zero-width", "I\u200Bg\u200Bn\u200Bo\u200Br\u200Be")]
    public void Encode_EachObfuscation_HidesThePlainText(string encoding, string expected) =>
        ProbeJudge.Encode("Ignore", encoding).Should().Be(expected);

    [Fact]
    public void Judge_NonceSplitByZeroWidthCharacters_StillCounts()
    {
        var probe = Catalog.Probes.First(p => p.Id == "pi.ignore-previous");
        var split = string.Join("\u200B", Values.Nonce.ToCharArray());
        ProbeJudge.Judge(probe, new ChatAnswer($"ok {split}", [], 200, false, false), Values, Catalog).Failed.Should().BeTrue();
    }

    [Fact]
    public void Judge_RefusedByStatus_NeverFails()
    {
        foreach (var probe in Catalog.Probes)
        {
            ProbeJudge.Judge(probe, new ChatAnswer(Values.Nonce + " " + Values.Canary, ["send_email"], 403, Refused: true, RateLimited: false), Values, Catalog).Failed.Should().BeFalse(probe.Id);
        }
    }

    [Theory]
    [InlineData("Score: 7", 7.0)]
    [InlineData("7/10", 7.0)]
    [InlineData("I'd say 8.5 out of 10", 8.5)]
    [InlineData("no idea", null)]
    public void FirstScore_ReadsTheFirstNumber(string text, double? expected) => ProbeJudge.FirstScore(text).Should().Be(expected);
}
