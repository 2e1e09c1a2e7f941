using Rampart.Core.Policy;

namespace Rampart.Core.Tests.Policy;

public sealed class PolicyParserTests
{
    private const string Full = """
        version: 1
        fail-on: high
        allow:
          globals: ["mylib.layers.*", collections.OrderedDict]
          review-globals: [mylib.unsafe_thing]
        suppressions:
          - rule: RAMP-PKL-*
            path: "models/**/*.pt"
            name: "mylib.*"
            justification: our own package, reviewed in SEC-12
            expires: 2027-01-31
          - rule: RAMP-GEN-003
            justification: legacy format, tracked in SEC-13
        limits:
          time-per-file-seconds: 30
          max-depth: 4
          max-members: 500
          max-pickle-opcodes: 1000
        """;

    [Fact]
    public void Parse_FullPolicy_ReadsEverySection()
    {
        var policy = PolicyParser.Parse(Full, "rampart.yaml");
        policy.Source.Should().Be("rampart.yaml");
        policy.FailOn.Should().Be(Severity.High);
        policy.AllowedGlobals.Should().Equal("mylib.layers.*", "collections.OrderedDict");
        policy.ReviewGlobals.Should().Equal("mylib.unsafe_thing");
        policy.Suppressions.Should().HaveCount(2);
        policy.Suppressions[0].Should().Be(new Suppression("RAMP-PKL-*", "models/**/*.pt", "mylib.*", "our own package, reviewed in SEC-12", new DateOnly(2027, 1, 31)));
        policy.Suppressions[1].Path.Should().BeNull();
        policy.Suppressions[1].Expires.Should().BeNull();
        policy.Limits.TimePerFile.Should().Be(TimeSpan.FromSeconds(30));
        policy.Limits.MaxDepth.Should().Be(4);
        policy.Limits.MaxMembers.Should().Be(500);
        policy.Limits.MaxPickleOpcodes.Should().Be(1000);
        policy.Limits.MaxFileBytes.Should().Be(ScanLimits.Default.MaxFileBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Parse_EmptyDocument_IsDefaults(string yaml)
    {
        var policy = PolicyParser.Parse(yaml, "p.yaml");
        policy.FailOn.Should().Be(ScanPolicy.Default.FailOn);
        policy.Suppressions.Should().BeEmpty();
        policy.Source.Should().Be("p.yaml");
    }

    [Theory]
    [InlineData("version: 1\nfail-on: medium\nfial-on: high\n", "p.yaml:3:1: unknown key 'fial-on'")]
    [InlineData("version: 1\nfail-on: extreme\n", "p.yaml:2:10: fail-on must be one of")]
    [InlineData("version: 2\n", "p.yaml:1:10: only policy version 1")]
    [InlineData("suppressions:\n  - rule: RAMP-GEN-003\n", "p.yaml:2:5: the suppression of RAMP-GEN-003 needs a 'justification'")]
    [InlineData("suppressions:\n  - rule: RAMP-GEN-003\n    justification: \"  \"\n", "p.yaml:2:5: the suppression of RAMP-GEN-003 needs a 'justification'")]
    [InlineData("suppressions:\n  - justification: why\n", "p.yaml:2:5: a suppression needs 'rule'")]
    [InlineData("suppressions:\n  - rule: X\n    justification: why\n    expires: 31/01/2027\n", "p.yaml:4:14: expires must be a date")]
    [InlineData("suppressions:\n  - rule: X\n    justification: why\n    until: 2027-01-01\n", "p.yaml:4:5: unknown key 'until' in a suppression")]
    [InlineData("suppressions: RAMP-GEN-003\n", "p.yaml:1:15: suppressions must be a list")]
    [InlineData("limits:\n  max-depth: -1\n", "p.yaml:2:14: limits.max-depth must be a whole number")]
    [InlineData("limits:\n  max-depth: lots\n", "p.yaml:2:14: limits.max-depth must be a whole number")]
    [InlineData("limits:\n  max-ram: 5\n", "p.yaml:2:3: unknown key 'max-ram' in limits")]
    [InlineData("allow:\n  globals: os.system\n", "p.yaml:2:12: expected a list")]
    [InlineData("allow:\n  globals: [\"\"]\n", "p.yaml:2:12: list entries must not be empty")]
    [InlineData("- just\n- a list\n", "p.yaml:1:1: the policy must be a mapping")]
    [InlineData("fail-on: [high]\n", "p.yaml:1:10: expected a single value")]
    public void Parse_InvalidPolicy_ThrowsWithFileLineAndColumn(string yaml, string expected)
    {
        var act = () => PolicyParser.Parse(yaml, "p.yaml");
        act.Should().Throw<PolicyException>().Which.Message.Should().StartWith(expected);
    }

    [Fact]
    public void Parse_NotYaml_ThrowsWithPosition()
    {
        var act = () => PolicyParser.Parse("fail-on: high\n  bad: [unclosed\n", "p.yaml");
        act.Should().Throw<PolicyException>().Which.Message.Should().MatchRegex(@"^p\.yaml:\d+:\d+: not valid YAML");
    }

    [Fact]
    public void Parse_MaxDepthAboveCeiling_IsCappedAt64()
    {
        PolicyParser.Parse("limits:\n  max-depth: 1000\n", "p.yaml").Limits.MaxDepth.Should().Be(64);
    }
}
