using System.Text.Json;
using Rampart.Core.Reporting;
using Rampart.Core.Reporting.Json;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.Core.Tests.Reporting;

public sealed class JsonReporterTests
{
    private static readonly string SchemaPath = Path.Combine(RepositoryPaths.Root, "docs", "report-schema.json");

    [JsonSchemaFact]
    public async Task WriteAsync_FullReport_ValidatesAgainstPublishedSchema()
    {
        var json = await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full());
        AssertValid(json);
    }

    [JsonSchemaFact]
    public async Task WriteAsync_CleanReport_ValidatesAgainstPublishedSchema()
    {
        var json = await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Clean());
        AssertValid(json);
    }

    [JsonSchemaFact]
    public async Task WriteAsync_RealScanOfUnknownModelBytes_ValidatesAgainstPublishedSchema()
    {
        var report = await ScanHelper.ScanBytesAsync("not a model"u8.ToArray(), "x.pt");
        var json = await SampleReports.RenderAsync(new JsonReporter(), report);
        AssertValid(json);
        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("findings")[0].GetProperty("ruleId").GetString().Should().Be("RAMP-GEN-003");
        document.RootElement.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Inconclusive);
    }

    [JsonSchemaFact]
    public void Schema_BrokenReport_IsRejected()
    {
        // Guards against a schema so loose that it accepts anything.
        var result = JsonSchemaValidator.Validate("""{"schemaVersion": "1.0.0", "surprise": true}""", SchemaPath);

        result.Available.Should().BeTrue(result.Output);
        result.Valid.Should().BeFalse();
        result.Output.Should().Contain("surprise");
    }

    [Fact]
    public async Task WriteAsync_FullReport_WritesTopLevelFields()
    {
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full()));
        var root = document.RootElement;
        root.GetProperty("schemaVersion").GetString().Should().Be(ScanReport.SchemaVersion);
        root.GetProperty("tool").GetProperty("version").GetString().Should().Be("9.8.7");
        root.GetProperty("startedAt").GetString().Should().Be("2026-11-22T04:30:00.000Z");
        root.GetProperty("durationMs").GetInt64().Should().Be(1234);
        root.GetProperty("failOn").GetString().Should().Be("medium");
        root.GetProperty("verdict").GetString().Should().Be("malicious");
        root.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Findings);
        root.GetProperty("summary").GetProperty("skipped").GetInt32().Should().Be(1);
        root.GetProperty("summary").GetProperty("suppressed").GetInt32().Should().Be(1);
        root.GetProperty("summary").GetProperty("findingsBySeverity").GetProperty("critical").GetInt32().Should().Be(1);
        root.GetProperty("warnings")[0].GetString().Should().Contain("expired");
    }

    [Fact]
    public async Task WriteAsync_MemberFinding_WritesLocationPropertiesAndHelp()
    {
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full()));
        var finding = document.RootElement.GetProperty("findings")[0];
        finding.GetProperty("ruleId").GetString().Should().Be("RAMP-PKL-101");
        finding.GetProperty("ruleName").GetString().Should().Be("dangerous-global");
        finding.GetProperty("severity").GetString().Should().Be("critical");
        finding.GetProperty("verdict").GetString().Should().Be("malicious");
        finding.GetProperty("path").GetString().Should().Be("models/evil.pt!/archive/data.pkl");
        finding.GetProperty("location").GetProperty("offset").GetInt64().Should().Be(42);
        finding.GetProperty("location").GetProperty("line").ValueKind.Should().Be(JsonValueKind.Null);
        finding.GetProperty("location").GetProperty("detail").GetString().Should().Be("opcode REDUCE #3");
        finding.GetProperty("properties").GetProperty("name").GetString().Should().Be("os.system");
        finding.GetProperty("helpUri").GetString().Should().Be("https://example.test/docs/rules/RAMP-PKL-101.md");
    }

    [Fact]
    public async Task WriteAsync_Suppression_WritesFindingJustificationAndExpiry()
    {
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full()));
        var suppressed = document.RootElement.GetProperty("suppressed")[0];
        suppressed.GetProperty("finding").GetProperty("ruleId").GetString().Should().Be("RAMP-PKL-201");
        suppressed.GetProperty("justification").GetString().Should().Be("mylib is our own package");
        suppressed.GetProperty("expires").GetString().Should().Be("2027-01-31");
    }

    [Fact]
    public async Task WriteAsync_Rules_ListsOnlyReferencedRulesInIdOrder()
    {
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full()));
        var rules = document.RootElement.GetProperty("rules").EnumerateArray().ToList();
        rules.Select(r => r.GetProperty("id").GetString()).Should().Equal("RAMP-GEN-001", "RAMP-PKL-101", "RAMP-PKL-201");
        rules[1].GetProperty("summary").GetString().Should().Contain("why it matters");
        rules[1].GetProperty("fix").GetString().Should().Contain("safetensors");
        rules[1].GetProperty("references")[0].GetProperty("url").GetString().Should().Be("https://atlas.mitre.org/techniques/AML.T0010");
        rules[1].GetProperty("references")[1].GetProperty("url").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task WriteAsync_ArtifactsAndParents_AreWrittenInReportOrder()
    {
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), SampleReports.Full()));
        var artifacts = document.RootElement.GetProperty("artifacts").EnumerateArray().ToList();
        artifacts.Should().HaveCount(5);
        artifacts[2].GetProperty("parent").GetString().Should().Be("models/evil.pt");
        artifacts[1].GetProperty("formats").EnumerateArray().Select(f => f.GetString()).Should().Equal("zip", "pytorch");
        artifacts[4].GetProperty("status").GetString().Should().Be("skipped");
        artifacts[4].GetProperty("skipReason").GetString().Should().Be("not a model format");
    }

    [Fact]
    public async Task WriteAsync_SameReportTwice_IsByteIdentical()
    {
        var report = SampleReports.Full();
        var first = await SampleReports.RenderAsync(new JsonReporter(), report);
        var second = await SampleReports.RenderAsync(new JsonReporter(), report);
        second.Should().Be(first);
    }

    [JsonSchemaFact]
    public async Task WriteAsync_ManyArtifacts_StreamsCompleteDocument()
    {
        var many = Enumerable.Range(0, 20_000)
            .Select(i => SampleReports.Artifact($"models/file-{i:D5}.pkl", null, Verdict.Clean, ArtifactStatus.Scanned, "pickle"));
        var report = SampleReports.Clean() with { Artifacts = [.. many] };
        using var document = JsonDocument.Parse(await SampleReports.RenderAsync(new JsonReporter(), report));
        document.RootElement.GetProperty("artifacts").GetArrayLength().Should().Be(20_000);
        document.RootElement.GetProperty("artifacts")[19_999].GetProperty("path").GetString().Should().Be("models/file-19999.pkl");
    }

    private void AssertValid(string json)
    {
        var result = JsonSchemaValidator.Validate(json, SchemaPath);

        result.Available.Should().BeTrue(result.Output);
        result.Valid.Should().BeTrue(result.Output);
    }
}
