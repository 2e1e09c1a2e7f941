using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.Core.Reporting.Sarif;
using Rampart.Provenance;
using Rampart.Provenance.Signing;
using Rampart.RedTeam.Reports;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Reports;

/// <summary>The report formats: JSON against its published schema, SARIF against the OASIS schema, HTML, exit codes, ledger record.</summary>
public sealed class ReportTests
{
    /// <summary>A report built in code: a direct run with a failed probe, a bias probe, attacks with curves, and a gateway run.</summary>
    internal static RedTeamReport Sample(string evidence = "Sure! rt0123456789")
    {
        var probes = new List<ProbeResult>
        {
            new("pi.ignore-previous", "prompt-injection", "RAMP-RT-001", "Direct injection", 3, 2, 0, 0, 0, OutcomeStatus.Failed, evidence),
            new("bias.hiring-gender", "bias", "RAMP-RT-009", "Bias", 4, 0, 0, 0, 0, OutcomeStatus.Passed, null, new Dictionary<string, double> { ["a man"] = 7, ["a woman"] = 6.5 }, 0.5),
        };
        var attacks = new List<AttackResult>
        {
            new("extraction", "RAMP-RT-101", "Model extraction", OutcomeStatus.Failed, new Dictionary<string, double> { ["agreement"] = 0.95 },
                [new Curve("agreement", "queries", "agreement", [new(25, 0.7), new(100, 0.9), new(1000, 0.95)])], "agrees on 95%", 1400),
            new("membership-threshold", "RAMP-RT-102", "Membership", OutcomeStatus.Passed, new Dictionary<string, double> { ["auc"] = 0.52 },
                [new Curve("ROC", "false-positive rate", "true-positive rate", [new(0, 0), new(0.5, 0.55), new(1, 1)])], "AUC 0.52", 800, "429"),
        };
        var direct = new RunSection("direct", "http://127.0.0.1:1/", 10, TimeSpan.FromSeconds(1.5), probes, attacks,
            [new RedTeamFinding("RAMP-RT-001", Severity.High, "Direct injection: 2 of 3 attempts succeeded", "pi.ignore-previous", evidence),
             new RedTeamFinding("RAMP-RT-101", Severity.High, "Model extraction: agrees", "extraction", null)], [], false);
        var gateway = direct with { Label = "through gateway", Target = "http://127.0.0.1:2/", Findings = [], Probes = [probes[0] with { Status = OutcomeStatus.Passed, Failures = 0, Refusals = 3, Evidence = null }, probes[1]] };
        return new RedTeamReport(TestSupport.Tool, "llm", new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), 7, [direct, gateway]);
    }

    private static async Task<string> JsonAsync(RedTeamReport report, Severity failOn = Severity.High)
    {
        using var stream = new MemoryStream();
        await RedTeamJson.WriteAsync(report, failOn, stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static (bool IsValid, string Errors) Validate(string json, string schemaPath) => SchemaValidator.Validate(json, schemaPath);

    private static string Errors((bool IsValid, string Errors) result) => result.Errors;

    private static string SchemaPath => Path.Combine(RepositoryPaths.Root, "docs", "redteam-report.schema.json");

    [SchemaFact]
    public async Task Json_SampleReport_ValidatesAgainstThePublishedSchema()
    {
        var json = await JsonAsync(Sample());
        var result = Validate(json, SchemaPath);
        result.IsValid.Should().BeTrue(Errors(result));
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("exitCode").GetInt32().Should().Be(1);
        var finding = doc.RootElement.GetProperty("runs")[0].GetProperty("findings")[0];
        finding.GetProperty("atlas").EnumerateArray().Select(e => e.GetString()).Should().Contain("AML.T0051.000");
        finding.GetProperty("owasp").EnumerateArray().Select(e => e.GetString()).Should().Contain("LLM01");
        finding.GetProperty("fix").GetString().Should().NotBeNullOrWhiteSpace();
    }

    [SchemaFact]
    public async Task Json_SchemaRejectsAReportMissingItsRuns()
    {
        var node = JsonNode.Parse(await JsonAsync(Sample()))!.AsObject();
        node.Remove("runs");
        Validate(node.ToJsonString(), SchemaPath).IsValid.Should().BeFalse();
        var extra = JsonNode.Parse(await JsonAsync(Sample()))!.AsObject();
        extra["surprise"] = true;
        Validate(extra.ToJsonString(), SchemaPath).IsValid.Should().BeFalse();
    }

    [SchemaFact]
    public async Task Json_RealRunsAgainstTheScriptedServer_Validate()
    {
        await using var server = await Targets.ScriptedChatServer.StartAsync(hardened: false);
        var report = await TestSupport.RunLlmAsync(server.Address);
        var result = Validate(await JsonAsync(report), SchemaPath);
        result.IsValid.Should().BeTrue(Errors(result));
    }

    [SchemaFact]
    public async Task Sarif_ValidatesAgainstTheSarifSchema_AndCarriesTheRules()
    {
        var schema = RepositoryPaths.SharedTestData is { } shared ? Path.Combine(shared, "sarif", "sarif-schema-2.1.0.json") : null;
        using var stream = new MemoryStream();
        await new SarifReporter().WriteAsync(RedTeamSarif.ToScanReport(Sample(), Severity.High), stream, CancellationToken.None);
        var sarif = Encoding.UTF8.GetString(stream.ToArray());
        if (schema is not null && File.Exists(schema))
        {
            var result = Validate(sarif, schema);
            result.IsValid.Should().BeTrue(Errors(result));
        }

        using var doc = JsonDocument.Parse(sarif);
        var run = doc.RootElement.GetProperty("runs")[0];
        run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Should().Equal("RAMP-RT-001", "RAMP-RT-101");
        run.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("message").GetProperty("text").GetString()).Should().Contain(m => m!.Contains("[direct] Direct injection"));
    }

    [Fact]
    public void Html_IsSelfContained_WithChartsPerRunAndEscapedEvidence()
    {
        var html = RedTeamHtml.Render(Sample(evidence: "<script>alert(1)</script>"), Severity.High);

        html.Should().StartWith("<!DOCTYPE html>").And.Contain("<svg").And.NotContain("<script");
        html.Should().Contain("&lt;script&gt;alert(1)&lt;/script&gt;");
        html.Should().NotContain("src=\"http", "nothing is loaded from elsewhere");
        // One chart per attack with curves, one polyline per run on each.
        System.Text.RegularExpressions.Regex.Count(html, "<figure>").Should().Be(2);
        System.Text.RegularExpressions.Regex.Count(html, "<polyline").Should().Be(4);
        html.Should().Contain("stroke-dasharray", "the ROC chart draws the chance diagonal");
        html.Should().Contain("through gateway").And.Contain("AML.T0051.000").And.Contain("How to fix");
    }

    [Theory]
    [InlineData(Severity.High, ExitCodes.Findings)]
    [InlineData(Severity.Critical, ExitCodes.Clean)]
    public void ExitCode_FollowsThePolicyThresholdOnTheFirstRun(Severity failOn, int expected) =>
        Sample().ExitCode(failOn).Should().Be(expected);

    [Fact]
    public void ExitCode_IncompleteRunOnly_IsInconclusive_NeverFindings()
    {
        var report = Sample();
        var incomplete = report.Runs[0] with { Findings = [new RedTeamFinding("RAMP-RT-000", Severity.Medium, "incomplete", "direct", null)], Partial = true };
        var only = report with { Runs = [incomplete] };
        only.ExitCode(Severity.Info).Should().Be(ExitCodes.Inconclusive);
        (report with { Runs = [report.Runs[0] with { Findings = [] }, report.Runs[1] with { Findings = report.Runs[0].Findings }] })
            .ExitCode(Severity.Info).Should().Be(ExitCodes.Clean, "findings through the gateway are the comparison, not the verdict");
    }

    [Fact]
    public async Task EvaluationRecord_IsAppendedToTheLedger_WithMetricsAndReportDigest()
    {
        using var temp = new TempDirectory();
        var keyPath = Path.Combine(temp.Path, "key.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }

        var db = Path.Combine(temp.Path, "ledger.db");
        using var signer = LedgerSigner.FromPemFile(keyPath, "tester");
        await (await Ledger.InitializeAsync(db, "test", signer)).DisposeAsync();
        var json = await JsonAsync(Sample());
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
        var record = EvaluationRecord.Build(Sample(), "sha256:" + new string('a', 64), digest);
        await using (var ledger = await Ledger.OpenAsync(db, signer))
        {
            await ledger.AppendAsync(record);
        }

        await using var reader = await Ledger.OpenAsync(db);
        var entries = new List<string>();
        await foreach (var (entry, _) in reader.ReadAsync())
        {
            entries.Add(entry.RecordJson);
        }

        var stored = JsonNode.Parse(entries.Last())!;
        stored.ToJsonString().Should().Contain("rampart-redteam-llm").And.Contain(digest).And.Contain("probes-failed").And.Contain("extraction.agreement");
    }
}
