using Microsoft.Data.Sqlite;
using Rampart.Provenance;
using Rampart.Provenance.Signing;
using Rampart.TestKit;
using Rampart.Threats.Assessment;
using Rampart.Threats.Evidence;

namespace Rampart.Threats.Tests.Evidence;

/// <summary>
/// Evidence checks against real Rampart artifacts made here: signed and tampered model folders (Integrity), a model
/// the scanner flags, a provenance ledger intact and edited, gateway configurations with and without authentication,
/// rate limits and detectors, and red-team summaries. Each must flip the right mitigation and threat status.
/// </summary>
public sealed class EvidenceTests
{
    private static string ModelSystem(string evidence) => Yaml.Header + $"""
        components:
          - id: model
            kind: model-artifact
            evidence: {evidence}
        """;

    [Fact]
    public async Task SignedModel_WithItsKey_VerifiesSigningAndMitigatesTampering()
    {
        using var dir = new SystemFolder();
        var (folder, key) = dir.SignedModel();
        var a = await dir.AssessAsync(ModelSystem($"{{ model: {Path.GetFileName(folder)}, publicKey: signer.pub }}"));
        var tamper = a.Threat("RAMP-THR-002:model");
        tamper.Mitigation("AML.M0013").Outcome.Should().Be(MitigationOutcome.Verified);
        tamper.Mitigation("AML.M0014").Outcome.Should().Be(MitigationOutcome.Verified);
        tamper.Status.Should().Be(ThreatStatus.Mitigated);
        tamper.Residual.Likelihood.Should().Be(Math.Max(1, tamper.Inherent.Likelihood - 2));
        a.Threat("RAMP-THR-001:model").Mitigation("AML.M0016").Evidence.Should().ContainSingle(e => e.Check == EvidenceChecks.ModelScan && e.Status == EvidenceStatus.Passed);
        _ = key;
    }

    [Theory]
    [InlineData("changed")]
    [InlineData("missing")]
    [InlineData("extra")]
    public async Task TamperedModel_FailsSigningAndOpensTheThreat(string damage)
    {
        using var dir = new SystemFolder();
        var (folder, _) = dir.SignedModel();
        switch (damage)
        {
            case "changed":
                File.AppendAllText(Path.Combine(folder, "config.json"), " ");
                break;
            case "missing":
                File.Delete(Path.Combine(folder, "tokenizer.txt"));
                break;
            default:
                File.WriteAllText(Path.Combine(folder, "extra.py"), "print('added after signing')\n");
                break;
        }

        var a = await dir.AssessAsync(ModelSystem("{ model: signed-model, publicKey: signer.pub }"));
        var tamper = a.Threat("RAMP-THR-002:model");
        var signing = tamper.Mitigation("AML.M0013");
        signing.Outcome.Should().Be(MitigationOutcome.Failed);
        signing.Evidence.Should().ContainSingle().Which.Detail.Should().StartWith("signature does not verify");
        tamper.Status.Should().Be(ThreatStatus.Open);
        tamper.Residual.Should().Be(tamper.Inherent);
    }

    [Fact]
    public async Task SignedModel_WithAnotherKey_Fails()
    {
        using var dir = new SystemFolder();
        dir.SignedModel();
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        dir.Write("other.pub", other.ExportSubjectPublicKeyInfoPem());
        var a = await dir.AssessAsync(ModelSystem("{ model: signed-model, publicKey: other.pub }"));
        a.Threat("RAMP-THR-002:model").Mitigation("AML.M0013").Outcome.Should().Be(MitigationOutcome.Failed);
    }

    [Fact]
    public async Task SignedModel_WithoutKey_IsOnlyPartial()
    {
        using var dir = new SystemFolder();
        dir.SignedModel();
        var a = await dir.AssessAsync(ModelSystem("{ model: signed-model }"));
        var tamper = a.Threat("RAMP-THR-002:model");
        tamper.Mitigation("AML.M0013").Outcome.Should().Be(MitigationOutcome.Partial);
        tamper.Status.Should().Be(ThreatStatus.Partial);
        tamper.Residual.Likelihood.Should().Be(Math.Max(1, tamper.Inherent.Likelihood - 1));
    }

    [Fact]
    public async Task UnsignedModel_FailsSigning()
    {
        using var dir = new SystemFolder();
        dir.Write("plain/config.json", "{}");
        var a = await dir.AssessAsync(ModelSystem("{ model: plain }"));
        var m = a.Threat("RAMP-THR-002:model").Mitigation("AML.M0013");
        m.Outcome.Should().Be(MitigationOutcome.Failed);
        m.Evidence.Single().Detail.Should().Contain("not signed");
    }

    [Fact]
    public async Task MaliciousPickle_FailsTheScanAndOpensCodeExecutionThreat()
    {
        using var dir = new SystemFolder();
        Directory.CreateDirectory(dir.File("evil"));
        File.WriteAllBytes(dir.File("evil/model.pkl"), PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-threats-never-run"));
        var a = await dir.AssessAsync(ModelSystem("{ model: evil }"));
        var rce = a.Threat("RAMP-THR-001:model");
        rce.Mitigation("AML.M0016").Outcome.Should().Be(MitigationOutcome.Failed);
        rce.Mitigation("AML.M0011").Evidence.Single().Detail.Should().StartWith("model scan: malicious");
        rce.Status.Should().Be(ThreatStatus.Open);
    }

    [Fact]
    public async Task CleanModel_PassesTheScan()
    {
        using var dir = new SystemFolder();
        dir.Write("good/config.json", "{\"hidden_size\": 8}");
        var a = await dir.AssessAsync(ModelSystem("{ model: good }"));
        a.Threat("RAMP-THR-001:model").Mitigation("AML.M0011").Outcome.Should().Be(MitigationOutcome.Verified);
    }

    private static string DataSystem => Yaml.Header + """
        components:
          - id: data
            kind: data-source
        evidence: { ledger: ledger.db }
        """;

    private static async Task<string> LedgerAsync(SystemFolder dir)
    {
        var path = dir.File("ledger.db");
        using var signer = LedgerSigner.Generate("data-team");
        await using var ledger = await Ledger.InitializeAsync(path, "test.rampart/threats", signer);
        for (var i = 0; i < 3; i++)
        {
            await ledger.RecordDatasetAsync($"transactions-{i}", "sha256:" + new string((char)('a' + i), 64), "bank export", "CC-BY-4.0");
        }

        return path;
    }

    [Fact]
    public async Task Ledger_Intact_VerifiesProvenance()
    {
        using var dir = new SystemFolder();
        await LedgerAsync(dir);
        var a = await dir.AssessAsync(DataSystem);
        var m = a.Threat("RAMP-THR-004:data").Mitigation("AML.M0025");
        m.Outcome.Should().Be(MitigationOutcome.Verified);
        m.Evidence.Single().Detail.Should().Contain("3 entries");
    }

    [Theory]
    [InlineData("UPDATE ledger_entries SET record = REPLACE(record, 'CC-BY-4.0', 'MIT') WHERE seq = 1")]
    [InlineData("DELETE FROM ledger_entries WHERE seq = 2")]
    public async Task Ledger_Edited_FailsProvenance(string sql)
    {
        using var dir = new SystemFolder();
        var path = await LedgerAsync(dir);
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        var a = await dir.AssessAsync(DataSystem);
        var threat = a.Threat("RAMP-THR-004:data");
        threat.Mitigation("AML.M0025").Outcome.Should().Be(MitigationOutcome.Failed);
        threat.Status.Should().Be(ThreatStatus.Open);
    }

    [Fact]
    public async Task Ledger_Missing_Fails()
    {
        using var dir = new SystemFolder();
        var a = await dir.AssessAsync(DataSystem);
        a.Threat("RAMP-THR-004:data").Mitigation("AML.M0025").Evidence.Single().Should().Match<EvidenceItem>(e => e.Status == EvidenceStatus.Failed && e.Detail.Contains("no ledger"));
    }

    private const string Gateway = """
        auth:
          apiKeys: keys.json
        audit: { directory: audit }
        clusters:
          m: { destinations: [http://127.0.0.1:9] }
        routes:
          - name: score
            path: /score
            protocol: tf-serving
            cluster: m
            allow: [ { role: app, operations: [predict] } ]
            rateLimit: { requestsPerMinute: 60 }
            checks: { profile: p.yaml, masking: round }
        """;

    private static string EndpointSystem => Yaml.Header + """
        components:
          - id: api
            kind: serving-endpoint
            exposure: public
            modelType: classic
            dataClasses: [personal]
            evidence: { gateway: gateway.yaml }
        """;

    [Fact]
    public async Task Gateway_WithAuthLimitsDetectorsAndMasking_MitigatesApiThreats()
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", Gateway);
        var a = await dir.AssessAsync(EndpointSystem);
        var extraction = a.Threat("RAMP-THR-005:api");
        extraction.Mitigation("AML.M0019").Outcome.Should().Be(MitigationOutcome.Verified);
        extraction.Mitigation("AML.M0004").Outcome.Should().Be(MitigationOutcome.Verified);
        extraction.Status.Should().Be(ThreatStatus.Mitigated);
        a.Threat("RAMP-THR-007:api").Status.Should().Be(ThreatStatus.Mitigated, "masking and rate limits answer inference attacks");
        a.Threat("RAMP-THR-006:api").Mitigation("AML.M0015").Outcome.Should().Be(MitigationOutcome.Verified, "an input profile checks predictions");
    }

    [Fact]
    public async Task Gateway_WithoutAuthentication_OpensExtraction()
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", Gateway.Replace("auth:\n  apiKeys: keys.json\n", "").Replace("allow: [ { role: app, operations: [predict] } ]", "public: true"));
        var a = await dir.AssessAsync(EndpointSystem);
        var extraction = a.Threat("RAMP-THR-005:api");
        var access = extraction.Mitigation("AML.M0019");
        access.Outcome.Should().Be(MitigationOutcome.Failed);
        access.Evidence.Single().Detail.Should().Contain("score").And.Contain("public");
        extraction.Mitigation("AML.M0004").Outcome.Should().Be(MitigationOutcome.Verified, "the rate limit is still there");
        extraction.Status.Should().Be(ThreatStatus.Open);
        a.Threat("RAMP-THR-012:api").Status.Should().Be(ThreatStatus.Open);
    }

    [Fact]
    public async Task Gateway_WithoutRateLimitOrMasking_FailsThoseOnly()
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", Gateway.Replace("rateLimit: { requestsPerMinute: 60 }", "").Replace(", masking: round", ""));
        var a = await dir.AssessAsync(EndpointSystem);
        var extraction = a.Threat("RAMP-THR-005:api");
        extraction.Mitigation("AML.M0019").Outcome.Should().Be(MitigationOutcome.Verified);
        extraction.Mitigation("AML.M0004").Outcome.Should().Be(MitigationOutcome.Failed);
        a.Threat("RAMP-THR-007:api").Mitigation("AML.M0002").Outcome.Should().Be(MitigationOutcome.Failed);
    }

    [Fact]
    public async Task Gateway_LlmRouteInMonitorMode_DetectorsArePartial_AndWithoutPiiFailed()
    {
        using var dir = new SystemFolder();
        var llm = """
            auth: { apiKeys: keys.json }
            clusters:
              llm: { destinations: [http://127.0.0.1:9] }
            routes:
              - name: chat
                path: /v1/chat/completions
                protocol: openai-chat
                cluster: llm
                allow: [ { role: user, operations: [chat] } ]
                rateLimit: { tokensPerMinute: 20000 }
                mode: monitor
                checks: { secrets: redact, pii: redact }
            """;
        var system = Yaml.Header + """
            components:
              - id: bot
                kind: llm-app
                exposure: public
                evidence: { gateway: gateway.yaml }
            """;
        dir.Write("gateway.yaml", llm);
        var monitor = await dir.AssessAsync(system);
        monitor.Threat("RAMP-THR-008:bot").Mitigation("AML.M0020").Outcome.Should().Be(MitigationOutcome.Partial);
        monitor.Threat("RAMP-THR-008:bot").Mitigation("AML.M0024").Outcome.Should().Be(MitigationOutcome.Failed, "no audit log is configured");

        dir.Write("gateway.yaml", llm.Replace("mode: monitor", "mode: enforce").Replace(", pii: redact", ""));
        var noPii = await dir.AssessAsync(system);
        noPii.Threat("RAMP-THR-008:bot").Mitigation("AML.M0020").Outcome.Should().Be(MitigationOutcome.Failed);
    }

    [Theory]
    [InlineData("routes: [", "not valid YAML")]
    [InlineData("clusters: {}\nroutes: []\n", "no routes")]
    public async Task Gateway_Unusable_FailsEveryGatewayCheckWithTheReason(string yaml, string reason)
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", yaml);
        var a = await dir.AssessAsync(EndpointSystem);
        var m = a.Threat("RAMP-THR-005:api").Mitigation("AML.M0019");
        m.Outcome.Should().Be(MitigationOutcome.Failed);
        m.Evidence.Single().Detail.Should().Contain(reason);
    }

    [Fact]
    public async Task Gateway_UnknownRoute_Fails()
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", Gateway);
        var a = await dir.AssessAsync(EndpointSystem.Replace("{ gateway: gateway.yaml }", "{ gateway: gateway.yaml, routes: [predict] }"));
        a.Threat("RAMP-THR-005:api").Mitigation("AML.M0019").Evidence.Single().Detail.Should().Contain("predict");
    }

    [Theory]
    [InlineData("2026-11-01T10:00:00Z", 200, 0, MitigationOutcome.Verified)]
    [InlineData("2026-11-01T10:00:00Z", 200, 3, MitigationOutcome.Failed)]
    [InlineData("2026-01-01T10:00:00Z", 200, 0, MitigationOutcome.Partial)]
    [InlineData("2026-11-01T10:00:00Z", 0, 0, MitigationOutcome.Failed)]
    public async Task RedTeamRun_DecidesModelValidation(string finished, int attacks, int succeeded, MitigationOutcome expected)
    {
        using var dir = new SystemFolder();
        dir.Write("redteam.json", $$"""{ "finishedAt": "{{finished}}", "attacks": {{attacks}}, "succeeded": {{succeeded}} }""");
        var a = await dir.AssessAsync(EndpointSystem.Replace("{ gateway: gateway.yaml }", "{ redTeam: redteam.json }"));
        a.Threat("RAMP-THR-006:api").Mitigation("AML.M0008").Outcome.Should().Be(expected);
    }

    [Fact]
    public async Task RedTeamRun_Unreadable_Fails()
    {
        using var dir = new SystemFolder();
        dir.Write("redteam.json", "{ \"attacks\": 3 }");
        var a = await dir.AssessAsync(EndpointSystem.Replace("{ gateway: gateway.yaml }", "{ redTeam: redteam.json }"));
        a.Threat("RAMP-THR-006:api").Mitigation("AML.M0008").Evidence.Single().Detail.Should().StartWith("cannot read the red-team run");
    }

    [Fact]
    public async Task NoEvidence_LeavesThreatsOpen_AndAttestationMakesThemPartial()
    {
        using var dir = new SystemFolder();
        var bare = await dir.AssessAsync(EndpointSystem.Replace("\n    evidence: { gateway: gateway.yaml }", ""));
        bare.Threats.Should().OnlyContain(t => t.Status == ThreatStatus.Open);
        bare.Threats.SelectMany(t => t.KeyMitigations).Should().OnlyContain(m => m.Outcome == MitigationOutcome.NoEvidence);

        var attested = await dir.AssessAsync(EndpointSystem.Replace("\n    evidence: { gateway: gateway.yaml }", "")
            + "\nattestations:\n  - { mitigation: AML.M0019, by: sec-owner, statement: mTLS at the load balancer }\n");
        var m = attested.Threat("RAMP-THR-005:api").Mitigation("AML.M0019");
        m.Outcome.Should().Be(MitigationOutcome.Partial);
        m.Attestations.Single().Statement.Should().Be("mTLS at the load balancer");
        attested.Threat("RAMP-THR-005:api").Status.Should().Be(ThreatStatus.Partial);
    }

    [Fact]
    public async Task UpstreamEvidence_CountsForTheServingEndpoint()
    {
        using var dir = new SystemFolder();
        dir.SignedModel();
        var system = Yaml.Header + """
            components:
              - id: model
                kind: model-artifact
                evidence: { model: signed-model, publicKey: signer.pub }
              - id: api
                kind: serving-endpoint
            flows:
              - { from: model, to: api }
            """;
        var a = await dir.AssessAsync(system);
        a.Threat("RAMP-THR-013:api").Mitigation("AML.M0016").Outcome.Should().Be(MitigationOutcome.Verified, "the model flowing into the endpoint was scanned clean");
    }
}
