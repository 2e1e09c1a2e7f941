using Rampart.Threats.Model;

namespace Rampart.Threats.Tests.Model;

public sealed class SystemParserTests
{
    private static readonly string Valid = ValidText + "\n";

    private const string ValidText = """
        system: Shop recommender
        description: Recommends products.
        review: { date: 2026-11-20, security: Ana, dataScience: Ben }
        boundaries:
          - { id: dc, name: Data centre }
        components:
          - id: clicks
            kind: data-source
            boundary: dc
            dataClasses: [personal]
          - id: model
            kind: model-artifact
            modelType: [classic, third-party]
            boundary: dc
          - id: bot
            kind: llm-app
            tools: [search]
            retrieval: true
            exposure: public
        flows:
          - { from: clicks, to: model, label: training }
          - { id: serve, from: model, to: bot }
        """;

    private static SystemModel Parse(string yaml) => SystemParser.Parse(yaml, "system.yaml", "/tmp");

    private static IReadOnlyList<string> Errors(string yaml)
    {
        var act = () => Parse(yaml);
        return act.Should().Throw<SystemModelException>().Which.Errors;
    }

    [Fact]
    public void Parse_ValidDescription_KeepsEverythingWithLines()
    {
        var s = Parse(Valid);
        s.Name.Should().Be("Shop recommender");
        s.Review.Owners.Should().Be(new Owners("Ana", "Ben"));
        s.Components.Select(c => c.Kind).Should().Equal(ComponentKind.DataSource, ComponentKind.ModelArtifact, ComponentKind.LlmApp);
        s.Get("clicks").Line.Line.Should().Be(7);
        s.Get("clicks").DataClasses.Should().Equal(DataClass.Personal);
        s.Get("model").ModelTypes.Should().Equal(ModelType.Classic, ModelType.ThirdParty);
        s.Get("bot").ModelTypes.Should().Contain(ModelType.Llm, "an llm-app is built on an LLM");
        s.Get("bot").Exposure.Should().Be(Exposure.Public);
        s.Flows.Select(f => f.Id).Should().Equal("clicks->model", "serve");
        s.CrossesBoundary(s.Flows[1]).Should().BeTrue("'bot' has no boundary, 'model' is in dc");
        s.CrossesBoundary(s.Flows[0]).Should().BeFalse();
    }

    [Theory]
    [InlineData("system: x\nreview: [unclosed\n", "system.yaml:3:1: not valid YAML")]
    [InlineData("system: x\n  - bad: indentation\n", "system.yaml:")]
    [InlineData("- just\n- a list\n", "system.yaml:1:1: a system description is one YAML mapping")]
    public void Parse_InvalidYaml_ReportsLine(string yaml, string expected)
    {
        Errors(yaml).Should().ContainSingle().Which.Should().StartWith(expected);
    }

    [Theory]
    [InlineData("modle-artifact")]
    [InlineData("ModelArtifact")]
    [InlineData("database")]
    public void Parse_UnknownKind_NamesItWithLineAndTheKnownKinds(string kind)
    {
        var errors = Errors(Valid.Replace("kind: model-artifact", $"kind: {kind}"));
        errors.Should().ContainSingle(e => e.Contains($"unknown component kind '{kind}'"))
            .Which.Should().StartWith("system.yaml:12:").And.Contain("model-artifact").And.Contain("serving-endpoint");
    }

    [Fact]
    public void Parse_FlowToUndefinedComponent_IsDanglingWithLine()
    {
        var errors = Errors(Valid.Replace("to: bot }", "to: chatbot }"));
        errors.Should().ContainSingle().Which.Should().Be("system.yaml:22:5: flow 'serve' refers to component 'chatbot', which is not defined under 'components'");
    }

    [Fact]
    public void Parse_UndefinedBoundaryAndAttestationComponent_AreDangling()
    {
        var yaml = Valid.Replace("boundary: dc\n    dataClasses", "boundary: cloud\n    dataClasses")
            + "attestations:\n  - { mitigation: AML.M0005, component: ghost, by: Ana, statement: locked }\n";
        var errors = Errors(yaml);
        errors.Should().Contain(e => e.StartsWith("system.yaml:7:", StringComparison.Ordinal) && e.Contains("trust boundary 'cloud'"));
        errors.Should().Contain(e => e.StartsWith("system.yaml:24:", StringComparison.Ordinal) && e.Contains("'ghost'"));
    }

    [Theory]
    [InlineData("  - { from: bot, to: clicks }\n", "clicks -> model -> bot -> clicks")]
    [InlineData("  - { from: model, to: clicks }\n", "clicks -> model -> clicks")]
    [InlineData("  - { from: bot, to: model }\n", "model -> bot -> model")]
    public void Parse_CycleInFlows_NamesTheCycleAndItsLines(string extra, string cycle)
    {
        var error = Errors(Valid + extra).Should().ContainSingle().Which;
        error.Should().StartWith("system.yaml:2").And.Contain("the flows form a cycle: ").And.Contain("at line 23").And.Contain("remove the return flow");
        foreach (var node in cycle.Split(" -> "))
        {
            error.Should().Contain(node);
        }
    }

    [Fact]
    public void Parse_SelfFlow_IsAnError()
    {
        Errors(Valid + "  - { from: bot, to: bot }\n").Should().Contain(e => e.Contains("goes from 'bot' to itself"));
    }

    [Theory]
    [InlineData("exposure: public", "exposure: world", "unknown exposure 'world'")]
    [InlineData("dataClasses: [personal]", "dataClasses: [secret]", "unknown dataClasses value 'secret'")]
    [InlineData("modelType: [classic, third-party]", "modelType: [huge]", "unknown modelType value 'huge'")]
    [InlineData("retrieval: true", "retrieval: maybe", "'retrieval' is true or false")]
    [InlineData("boundary: dc\n    dataClasses", "bondary: dc\n    dataClasses", "unknown key 'bondary' in a component")]
    [InlineData("date: 2026-11-20", "date: 20/11/2026", "'date' is a date (YYYY-MM-DD)")]
    [InlineData("security: Ana, ", "", "needs an owner from each team")]
    public void Parse_BadValue_IsExplained(string from, string to, string expected)
    {
        Valid.Should().Contain(from);
        Errors(Valid.Replace(from, to)).Should().Contain(e => e.Contains(expected) && e.StartsWith("system.yaml:", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicateComponentId_PointsAtTheSecond()
    {
        var yaml = Valid.Replace("  - id: bot\n", "  - id: clicks\n").Replace("to: bot", "to: clicks");
        Errors(yaml).Should().Contain(e => e.StartsWith("system.yaml:15:", StringComparison.Ordinal) && e.Contains("component id 'clicks' is defined more than once (first at line 7)"));
    }

    [Fact]
    public void Parse_ToolsOnANonLlmComponent_IsAnError()
    {
        Errors(Valid.Replace("kind: model-artifact", "kind: model-artifact\n    tools: [x]")).Should().Contain(e => e.Contains("'tools' and 'retrieval' describe an llm-app"));
    }

    [Theory]
    [InlineData("    likelihood: 9\n", "'likelihood' is a whole number from 1 to 5")]
    [InlineData("", "needs a 'justification'")]
    [InlineData("    justification: because\n", "needs 'owners' with 'security' and 'dataScience'")]
    public void Parse_RiskEntryWithoutJustificationOrOwners_IsRejected(string extra, string expected)
    {
        var owners = expected.Contains("owners", StringComparison.Ordinal) ? "" : "    owners: { security: Ana, dataScience: Ben }\n";
        var justification = expected.Contains("justification", StringComparison.Ordinal) || extra.Contains("justification", StringComparison.Ordinal) ? "" : "    justification: fine\n";
        var yaml = Valid + "risks:\n  - threat: RAMP-THR-001:model\n" + extra + owners + justification;
        Errors(yaml).Should().Contain(e => e.Contains(expected));
    }

    [Fact]
    public void Parse_ManyProblems_AreAllReported()
    {
        var yaml = Valid.Replace("kind: data-source", "kind: lake").Replace("to: bot }", "to: nobody }").Replace("exposure: public", "exposure: galaxy");
        Errors(yaml).Should().HaveCountGreaterThanOrEqualTo(3);
    }

    [Theory]
    [InlineData(65, false)]
    [InlineData(100_000, false)]
    [InlineData(10, true)]
    public void Parse_DeeplyNestedBrackets_AreRefusedBeforeParsing(int depth, bool parses)
    {
        var yaml = "system: x\ndescription: " + new string('[', depth) + new string(']', depth) + "\n";
        var errors = Errors(yaml);
        if (parses)
        {
            errors.Should().NotContain(e => e.Contains("nested deeper"));
        }
        else
        {
            errors.Should().ContainSingle().Which.Should().Contain("brackets nested deeper than 64 levels");
        }
    }

    [Fact]
    public void FlowDepth_IgnoresBracketsInQuotesAndComments()
    {
        SystemParser.FlowDepth("a: '[[[['\nb: \"{{{\" # [[[[\nc: [1, [2]]\n").Should().Be(2);
    }

    [Fact]
    public void Load_MissingFile_IsAClearError()
    {
        var act = () => SystemParser.Load("/nonexistent/system.yaml");
        act.Should().Throw<SystemModelException>().Which.Errors.Should().ContainSingle().Which.Should().Contain("no such file");
    }
}
