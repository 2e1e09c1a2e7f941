using System.Text;
using Rampart.Core.Rules;
using Rampart.Core.Tests.Reporting;

namespace Rampart.Core.Tests.Rules;

public sealed class RuleCatalogTests
{
    private const string Valid = """
        {
          "id": "RAMP-PKL-101",
          "name": "os-system",
          "title": "Runs a shell command",
          "severity": "critical",
          "verdict": "malicious",
          "summary": "It runs commands.",
          "fix": "Do not load it.",
          "references": [ { "id": "AML.T0011.000", "title": "ATLAS", "url": "https://atlas.mitre.org/techniques/AML.T0011.000" } ],
          "tags": ["code-execution"],
          "match": { "names": ["os.system", "posix.*"] },
          "selfTests": { "mustMatch": ["os.system"], "mustNotMatch": ["os.path.join"] }
        }
        """;

    private static IReadOnlyList<RuleDefinition> Parse(string rule) =>
        RuleFileParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes($$"""{ "rules": [ {{rule}} ] }""")), "rules/test.json");

    private static string Mutate(string from, string to)
    {
        Valid.Should().Contain(from);
        return Valid.Replace(from, to, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidRule_ReadsEveryField()
    {
        var rule = Parse(Valid).Should().ContainSingle().Subject;
        rule.Id.Should().Be("RAMP-PKL-101");
        rule.Severity.Should().Be(Severity.Critical);
        rule.Verdict.Should().Be(Verdict.Malicious);
        rule.Match.IsNameRule.Should().BeTrue();
        rule.Match.Names.Should().Equal("os.system", "posix.*");
        rule.References.Should().ContainSingle().Which.Url.Should().Be(new Uri("https://atlas.mitre.org/techniques/AML.T0011.000"));
        rule.SelfTests.MustNotMatch.Should().Equal("os.path.join");
        rule.Source.Should().Be("rules/test.json");
        rule.DocPath.Should().Be("docs/rules/RAMP-PKL-101.md");
    }

    [Theory]
    [InlineData("\"RAMP-PKL-101\"", "\"PKL-101\"", "not of the form RAMP-AREA-NNN")]
    [InlineData("\"critical\"", "\"catastrophic\"", "unknown severity 'catastrophic'")]
    [InlineData("\"verdict\": \"malicious\"", "\"verdict\": \"evil\"", "unknown verdict 'evil'")]
    [InlineData("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }", "\"match\": { \"names\": [\"os.system\"], \"detector\": \"x.y\" }", "exactly one of match.names or match.detector")]
    [InlineData("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }", "\"match\": { }", "exactly one of match.names or match.detector")]
    [InlineData("\"mustMatch\": [\"os.system\"]", "\"mustMatch\": []", "has no mustMatch self-test")]
    [InlineData("\"fix\": \"Do not load it.\"", "\"fix\": \"  \"", "lacks the text property 'fix'")]
    [InlineData("\"summary\": \"It runs commands.\",", "", "lacks the text property 'summary'")]
    [InlineData("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }", "\"match\": { \"names\": [\"os.system\"], \"patterns\": [\"x\"] }", "without a match.detector")]
    [InlineData("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }", "\"match\": { \"names\": [\"os.system\"], \"unless\": [\"x\"] }", "without a match.detector")]
    public void Parse_InvalidRule_ThrowsNamingTheProblem(string from, string to, string expected)
    {
        var act = () => Parse(Mutate(from, to));
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain(expected).And.StartWith("rules/test.json");
    }

    [Fact]
    public void Parse_DetectorRuleWithTextPatterns_KeepsThemForItsRoom()
    {
        var rule = Parse(Mutate("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }",
            "\"match\": { \"detector\": \"llm.x\", \"patterns\": [\"ignore\\\\s+it\", \"b\"], \"unless\": [\"not $\"] }")).Single();
        rule.Match.Detector.Should().Be("llm.x");
        rule.Match.Patterns.Should().Equal("ignore\\s+it", "b");
        rule.Match.Unless.Should().Equal("not $");
        rule.Match.RaisesItself.Should().BeTrue();
        Parse(Mutate("\"match\": { \"names\": [\"os.system\", \"posix.*\"] }", "\"match\": { \"detector\": \"zip.x\" }")).Single().Match.RaisesItself.Should().BeFalse();
    }

    [Fact]
    public void Parse_TrailingComma_IsRejected()
    {
        var act = () => Parse(Valid + ",");
        act.Should().Throw<System.Text.Json.JsonException>();
    }

    [Fact]
    public void Constructor_DuplicateId_Throws()
    {
        var rule = SampleReports.Rule("RAMP-PKL-101", Severity.High, Verdict.Malicious);
        var act = () => new RuleCatalog([rule, rule with { Source = "other.json" }]);
        act.Should().Throw<InvalidOperationException>().WithMessage("*RAMP-PKL-101*defined twice*other.json*");
    }

    [Fact]
    public void MatchName_NameRules_ReturnsMatchingRulesInIdOrder()
    {
        var catalog = new RuleCatalog([
            Parse(Valid)[0] with { Id = "RAMP-PKL-102" },
            Parse(Valid)[0],
            SampleReports.Rule("RAMP-GEN-001", Severity.Medium, Verdict.Inconclusive),
        ]);
        catalog.MatchName("posix.system").Select(r => r.Id).Should().Equal("RAMP-PKL-101", "RAMP-PKL-102");
        catalog.MatchName("os.path.join").Should().BeEmpty();
        catalog.MatchName("os.system", "code-execution").Should().HaveCount(2);
        catalog.MatchName("os.system", "no-such-tag").Should().BeEmpty();
        catalog.Rules.Select(r => r.Id).Should().Equal("RAMP-GEN-001", "RAMP-PKL-101", "RAMP-PKL-102");
    }

    [Fact]
    public void Indexer_UnknownId_ThrowsAndTryGetReturnsFalse()
    {
        var catalog = SampleReports.Catalog;
        catalog.TryGet("RAMP-NOPE-001", out _).Should().BeFalse();
        var act = () => catalog["RAMP-NOPE-001"];
        act.Should().Throw<KeyNotFoundException>();
    }
}
