using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Rampart.TestKit;
using Rampart.Threats.Assessment;
using Rampart.Threats.Reports;

namespace Rampart.Threats.Tests.Reports;

public sealed class ReportTests
{
    /// <summary>A small system with open high risks (a public, unauthenticated chatbot with tools over personal data) and a signed model.</summary>
    private static string System => Yaml.Header + """
        description: Test <script>alert(1)</script> chatbot
        components:
          - id: docs
            kind: data-source
            boundary: inside
            dataClasses: [confidential]
          - id: model
            kind: model-artifact
            boundary: inside
            modelType: [llm, third-party]
            evidence: { model: signed-model, publicKey: signer.pub }
          - id: bot
            kind: llm-app
            name: Help <b>bot</b> | v2
            boundary: inside
            exposure: public
            dataClasses: [personal]
            tools: [send-email]
            retrieval: true
          - id: users
            kind: actor
            boundary: outside
            exposure: public
        flows:
          - { from: docs, to: bot, label: retrieval }
          - { from: model, to: bot }
          - { from: users, to: bot, dataClasses: [personal] }
        risks:
          - threat: RAMP-THR-010:bot
            impact: 5
            justification: The bot can email customers.
            owners: { security: Sam, dataScience: Dana }
            decision: accept
        """;

    private static async Task<ThreatAssessment> AssessAsync(SystemFolder dir)
    {
        dir.SignedModel();
        return await dir.AssessAsync(System);
    }

    /// <summary>Threat Dragon's schema names no dialect and uses OpenAPI's "nullable": read it as 2020-12, where unknown keywords are annotations.</summary>
    private static readonly Lazy<JsonSchema> ThreatDragonSchema = new(() => JsonSchema.FromText(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ThreatDragon", "threat-dragon-v2.schema.json")), new BuildOptions { Dialect = Dialect.Draft202012 }));

    private static JsonSchema Schema(string text) => JsonSchema.FromText(text);

    private static void ShouldValidate(JsonSchema schema, byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")).ToList();
        result.IsValid.Should().BeTrue(string.Join("\n", errors.Take(10)));
    }

    [Fact]
    public async Task ThreatDragonExport_ValidatesAgainstThreatDragonsSchema_AndCarriesEveryElement()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        using var stream = new MemoryStream();
        ThreatDragonExport.Write(a, stream);
        var schema = ThreatDragonSchema.Value;
        ShouldValidate(schema, stream.ToArray());

        using var doc = JsonDocument.Parse(stream.ToArray());
        var cells = doc.RootElement.GetProperty("detail").GetProperty("diagrams")[0].GetProperty("cells").EnumerateArray().ToList();
        cells.Count(c => c.GetProperty("shape").GetString() == "flow").Should().Be(3);
        cells.Count(c => c.GetProperty("shape").GetString() == "trust-boundary-box").Should().Be(2);
        cells.Select(c => c.GetProperty("shape").GetString()).Should().Contain(["store", "process", "actor"]);
        var threats = cells.SelectMany(c => c.GetProperty("data").TryGetProperty("threats", out var t) ? t.EnumerateArray() : Enumerable.Empty<JsonElement>()).ToList();
        threats.Should().HaveCount(a.Threats.Length);
        threats.Select(t => t.GetProperty("status").GetString()).Should().Contain(["Open", "Accepted"]);
        doc.RootElement.GetProperty("detail").GetProperty("threatTop").GetInt32().Should().Be(a.Threats.Length);
        var flow = cells.First(c => c.GetProperty("shape").GetString() == "flow");
        var ids = cells.Select(c => c.GetProperty("id").GetString()).ToHashSet();
        ids.Should().Contain(flow.GetProperty("source").GetProperty("cell").GetString()).And.Contain(flow.GetProperty("target").GetProperty("cell").GetString());

        using var again = new MemoryStream();
        ThreatDragonExport.Write(a, again);
        again.ToArray().Should().Equal(stream.ToArray(), "ids are derived from names, so an export is reproducible");
    }

    [Fact]
    public async Task ThreatDragonSchema_RejectsABrokenExport()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        using var stream = new MemoryStream();
        ThreatDragonExport.Write(a, stream);
        var node = JsonNode.Parse(stream.ToArray())!;
        node["detail"]!["diagrams"]![0]!["cells"]![0]!.AsObject().Remove("zIndex");
        var schema = ThreatDragonSchema.Value;
        using var broken = JsonDocument.Parse(node.ToJsonString());
        schema.Evaluate(broken.RootElement, new EvaluationOptions()).IsValid.Should().BeFalse("the schema check must be able to fail");
    }

    [SharedDataFact("sarif")]
    public async Task Sarif_ValidatesAgainstTheSarifSchema_AndListsOnlyOpenHighRisks()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        using var stream = new MemoryStream();
        await SarifExport.WriteAsync(a, stream, CancellationToken.None);
        var text = File.ReadAllText(Path.Combine(SharedData.Path("sarif"), "sarif-schema-2.1.0.json"))
            .Replace("http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-07/schema#", StringComparison.Ordinal);
        ShouldValidate(Schema(text), stream.ToArray());

        using var doc = JsonDocument.Parse(stream.ToArray());
        var results = doc.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        var open = a.OpenHighRisks.ToList();
        open.Should().NotBeEmpty();
        results.Should().HaveCount(open.Count);
        results.Select(r => r.GetProperty("message").GetProperty("text").GetString()!.Split(':')[0] + ":" + r.GetProperty("message").GetProperty("text").GetString()!.Split(':')[1])
            .Should().BeEquivalentTo(open.Select(t => t.Id));
        results.Should().NotContain(r => r.GetProperty("message").GetProperty("text").GetString()!.StartsWith("RAMP-THR-010:bot", StringComparison.Ordinal), "an accepted risk is not gated on");
        results.Should().OnlyContain(r => r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32() > 0);
        SarifExport.ToScanReport(a).ExitCode.Should().Be(Core.ExitCodes.Findings);
    }

    [Fact]
    public async Task Html_IsSelfContained_WithInlineSvgAndEscapedUserText()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        var html = HtmlReport.Write(a);
        html.Should().Contain("<svg").And.Contain("</svg>").And.Contain("<table>");
        html.Should().NotContain("<script>").And.NotContain("<b>bot</b>");
        html.Should().Contain("&lt;script&gt;");
        Regex.Matches(html, "(?:src|href)=\"(?!#)([^\"]+)\"").Select(m => m.Groups[1].Value).Where(u => !u.StartsWith("https://atlas.mitre.org/", StringComparison.Ordinal) && !u.StartsWith("https://owasp.org/", StringComparison.Ordinal) && !u.StartsWith("https://genai.owasp.org/", StringComparison.Ordinal))
            .Should().BeEmpty("the report loads nothing; its only links are references to ATLAS and OWASP pages");
        html.Should().NotContain("<link").And.NotContain("<img").And.NotContain("<iframe");
        foreach (var c in a.System.Components)
        {
            html.Should().Contain($"<title>{c.Id}:", $"the diagram shows component {c.Id}");
        }
    }

    [Fact]
    public async Task Markdown_HasDiagramMatrixRegisterAndEveryThreat()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        var md = MarkdownReport.Write(a);
        md.Should().Contain("```mermaid\nflowchart LR\n").And.Contain("n_users -->|\"personal\"| n_bot");
        md.Should().Contain("## Risk matrix").And.Contain("| likelihood \\ impact | 1 | 2 | 3 | 4 | 5 |");
        md.Should().Contain("## Risk register");
        foreach (var t in a.Threats)
        {
            md.Should().Contain($"### {t.Id}: ");
            md.Should().Contain($"| [{t.Id}](#");
        }

        md.Should().Contain("Help \\<b\\>bot\\</b\\> \\| v2", "user text is escaped, not markup");
        md.Should().Contain("Risk set by hand (Sam, Dana): The bot can email customers.");
    }

    [Fact]
    public async Task Json_SummarisesAndListsThreatsWithEvidence()
    {
        using var dir = new SystemFolder();
        var a = await AssessAsync(dir);
        using var stream = new MemoryStream();
        JsonReport.Write(a, stream);
        using var doc = JsonDocument.Parse(stream.ToArray());
        var root = doc.RootElement;
        root.GetProperty("schemaVersion").GetString().Should().Be(JsonReport.SchemaVersion);
        root.GetProperty("summary").GetProperty("threats").GetInt32().Should().Be(a.Threats.Length);
        root.GetProperty("summary").GetProperty("openHighRisks").GetInt32().Should().Be(a.OpenHighRisks.Count());
        var threats = root.GetProperty("threats").EnumerateArray().ToList();
        var tamper = threats.Single(t => t.GetProperty("id").GetString() == "RAMP-THR-002:model");
        tamper.GetProperty("status").GetString().Should().Be("mitigated");
        tamper.GetProperty("keyMitigations")[0].GetProperty("evidence")[0].GetProperty("check").GetString().Should().Be("model-signature");
        threats.Single(t => t.GetProperty("id").GetString() == "RAMP-THR-010:bot").GetProperty("decision").GetString().Should().Be("accept");
        Encoding.UTF8.GetString(stream.ToArray()).Should().NotContain(dir.Path, "reports carry paths as written in system.yaml, not this machine's");
    }
}
