using System.Globalization;
using Microsoft.Data.Sqlite;
using Rampart.Provenance;
using Rampart.Provenance.Signing;
using Rampart.RedTeam.Reports;
using Rampart.TestKit;
using Rampart.Threats.Assessment;
using Rampart.Threats.Evidence;

namespace Rampart.Threats.Tests.Evidence;

/// <summary>
/// Evidence checks against real Rampart artifacts made here: signed and tampered model folders (Integrity), a model
/// the scanner flags, a provenance ledger intact and edited, gateway configurations with and without authentication,
/// rate limits and detectors, and `rampart redteam` reports. Each must flip the right mitigation and threat status.
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

    private static string DatasetSystem => Yaml.Header + """
        components:
          - id: data
            kind: data-source
            evidence: { dataset: data }
        """;

    /// <summary>A row of a clean, learnable dataset: the label follows the amount.</summary>
    private static string Clean(int i)
    {
        var amount = 10 + (i * 7 % 50);
        return string.Create(CultureInfo.InvariantCulture, $"{amount}.5,{i % 24},{(i % 3 == 0 ? "DE" : "FR")},{(amount > 35 ? 1 : 0)}");
    }

    private static string Rows(Func<int, string> row, int count = 60) =>
        "amount,hour,country,label\n" + string.Concat(Enumerable.Range(0, count).Select(i => row(i) + "\n"));

    [Fact]
    public async Task Dataset_CleanCsv_VerifiesSanitisation_ThroughTheDataScan()
    {
        using var dir = new SystemFolder();
        dir.Write("data/transactions.csv", Rows(Clean));
        var a = await dir.AssessAsync(DatasetSystem);
        var m = a.Threat("RAMP-THR-004:data").Mitigation("AML.M0007");
        m.Outcome.Should().Be(MitigationOutcome.Verified, m.Evidence.Single().Detail);
        m.Evidence.Single().Detail.Should().StartWith("data scan of 60 row(s) in 1 file(s)");
    }

    [Theory]
    [InlineData("data/transactions.csv", "secret", MitigationOutcome.Failed, "RAMP-DATA-002 x1 in transactions.csv")]
    [InlineData("data/part-0.parquet", "not parquet at all", MitigationOutcome.Failed, "part-0.parquet")]
    [InlineData("data/README.txt", "exported nightly", MitigationOutcome.Partial, "no CSV, TSV, JSON Lines or Parquet file")]
    public async Task Dataset_SecretUnreadableOrNoDataFile_IsNotVerified(string file, string content, MitigationOutcome expected, string detail)
    {
        using var dir = new SystemFolder();
        dir.Write(file, content == "secret" ? Rows(i => i == 7 ? "17.5,7,AKIAZ7QW3RTY5UIOP2LM,0" : Clean(i)) : content);
        var a = await dir.AssessAsync(DatasetSystem);
        var m = a.Threat("RAMP-THR-004:data").Mitigation("AML.M0007");
        m.Outcome.Should().Be(expected);
        m.Evidence.Single().Detail.Should().Contain(detail);
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
            checks: { profile: p.yaml, masking: round, extraction: { action: block }, drift: { profile: t.json } }
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
                checks: { secrets: redact, pii: redact, injection: block }
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
    [InlineData("injection: block", MitigationOutcome.Verified, "chat: secrets, pii, injection")]
    [InlineData("injection: annotate", MitigationOutcome.Partial, "chat (injection: annotate only)")]
    [InlineData("injection: off", MitigationOutcome.Failed, "chat (no injection)")]
    [InlineData("", MitigationOutcome.Failed, "chat (no injection)")]
    public async Task Gateway_LlmRoute_InjectionCheckDecidesTheDetectors(string injection, MitigationOutcome expected, string detail)
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", $$"""
            auth: { apiKeys: keys.json }
            clusters:
              llm: { destinations: [http://127.0.0.1:9] }
            routes:
              - name: chat
                path: /v1/chat/completions
                protocol: openai-chat
                cluster: llm
                allow: [ { role: user, operations: [chat] } ]
                checks:
                  secrets: redact
                  pii: redact
                  {{injection}}
            """);
        var a = await dir.AssessAsync(Yaml.Header + """
            components:
              - id: bot
                kind: llm-app
                exposure: public
                evidence: { gateway: gateway.yaml }
            """);
        var m = a.Threat("RAMP-THR-008:bot").Mitigation("AML.M0020");
        m.Outcome.Should().Be(expected);
        m.Evidence.Single().Detail.Should().Contain(detail);
    }

    [Theory]
    [InlineData("extraction: { action: block }, drift: { profile: t.json }", MitigationOutcome.Verified, "score: input profile, extraction, drift")]
    [InlineData("extraction: { action: annotate }, drift: { profile: t.json }", MitigationOutcome.Partial, "score (extraction: annotate only)")]
    [InlineData("extraction: { action: block }", MitigationOutcome.Partial, "score (no drift window)")]
    [InlineData("drift: { profile: t.json }", MitigationOutcome.Failed, "score (no extraction)")]
    public async Task Gateway_PredictRoute_ExtractionAndDriftDecideTheDetectors(string checks, MitigationOutcome expected, string detail)
    {
        using var dir = new SystemFolder();
        dir.Write("gateway.yaml", Gateway.Replace("extraction: { action: block }, drift: { profile: t.json }", checks));
        var a = await dir.AssessAsync(EndpointSystem);
        var m = a.Threat("RAMP-THR-006:api").Mitigation("AML.M0015");
        m.Outcome.Should().Be(expected);
        m.Evidence.Single().Detail.Should().Contain(detail);
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

    /// <summary>
    /// A `rampart redteam` JSON report written by the red-team room's own writer: a direct run with
    /// <paramref name="tried"/> attacks of which <paramref name="succeeded"/> worked, and optionally the same attacks
    /// through a gateway where <paramref name="succeededThrough"/> worked.
    /// </summary>
    private static async Task<string> RedTeamReportAsync(string started, int tried, int succeeded, bool partial = false, int? succeededThrough = null)
    {
        static RunSection Run(string label, int tried, int succeeded, bool partial)
        {
            var attacks = Enumerable.Range(0, tried).Select(i => new AttackResult(
                $"extraction-{i}", "RAMP-RT-101", "Model extraction", i < succeeded ? OutcomeStatus.Failed : OutcomeStatus.Passed,
                new Dictionary<string, double> { ["agreement"] = i < succeeded ? 0.95 : 0.4 }, [], "surrogate agreement", 100)).ToList();
            var findings = attacks.Where(a => a.Status == OutcomeStatus.Failed)
                .Select(a => new RedTeamFinding(a.RuleId, Core.Severity.High, "the surrogate agrees with the target", a.Id, null)).ToList();
            return new RunSection(label, $"http://127.0.0.1:9/{label}", tried * 100, TimeSpan.FromSeconds(3), [], attacks, findings, [], partial);
        }

        var runs = new List<RunSection> { Run("direct", tried, succeeded, partial) };
        if (succeededThrough is { } through)
        {
            runs.Add(Run("through gateway", tried, through, false));
        }

        var report = new RedTeamReport(
            new Core.Reporting.ToolInfo("rampart", "0.0.0-test", new Uri("https://example.com"), new Uri("https://example.com/rules/")),
            "model", DateTimeOffset.Parse(started, CultureInfo.InvariantCulture), 1, runs);
        using var json = new MemoryStream();
        await RedTeamJson.WriteAsync(report, Core.Severity.High, json, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(json.ToArray());
    }

    [Theory]
    [InlineData("2026-11-01T10:00:00Z", 4, 0, false, null, MitigationOutcome.Verified, "0 of 4 probes and attacks succeeded")]
    [InlineData("2026-11-01T10:00:00Z", 4, 3, false, null, MitigationOutcome.Failed, "3 of 4 probes and attacks succeeded (RAMP-RT-101)")]
    [InlineData("2026-11-01T10:00:00Z", 4, 3, false, 0, MitigationOutcome.Partial, "through gateway")]
    [InlineData("2026-11-01T10:00:00Z", 4, 3, false, 1, MitigationOutcome.Failed, "3 of 4")]
    [InlineData("2026-11-01T10:00:00Z", 4, 0, true, null, MitigationOutcome.Partial, "partial")]
    [InlineData("2026-01-01T10:00:00Z", 4, 0, false, null, MitigationOutcome.Partial, "days old")]
    [InlineData("2026-11-01T10:00:00Z", 0, 0, false, null, MitigationOutcome.Failed, "tried no probes or attacks")]
    [InlineData("2026-11-25T10:00:00Z", 4, 0, false, null, MitigationOutcome.Failed, "dated after this assessment")]
    public async Task RedTeamReport_DecidesModelValidation(string started, int tried, int succeeded, bool partial, int? through, MitigationOutcome expected, string detail)
    {
        using var dir = new SystemFolder();
        dir.Write("redteam.json", await RedTeamReportAsync(started, tried, succeeded, partial, through));
        var a = await dir.AssessAsync(EndpointSystem.Replace("{ gateway: gateway.yaml }", "{ redTeam: redteam.json }"));
        var m = a.Threat("RAMP-THR-006:api").Mitigation("AML.M0008");
        m.Outcome.Should().Be(expected);
        m.Evidence.Single().Detail.Should().Contain(detail);
    }

    [Theory]
    [InlineData("{ \"finishedAt\": \"2026-11-12T16:40:00Z\", \"attacks\": 240, \"succeeded\": 0 }", "no schemaVersion")]
    [InlineData("{ \"schemaVersion\": \"9.0.0\" }", "schema 9.0.0 is not supported")]
    [InlineData("{ \"schemaVersion\": \"1.0.0\", \"startedAt\": \"yesterday\" }", "is not a date-time")]
    [InlineData("{ \"schemaVersion\": \"1.0.0\", \"startedAt\": \"2026-11-01T10:00:00Z\", \"kind\": \"model\", \"failOn\": \"high\", \"exitCode\": 0, \"runs\": [] }", "no runs")]
    [InlineData("[1, 2", "not a valid red-team report")]
    public async Task RedTeamReport_Unreadable_FailsWithTheReason(string json, string reason)
    {
        using var dir = new SystemFolder();
        dir.Write("redteam.json", json);
        var a = await dir.AssessAsync(EndpointSystem.Replace("{ gateway: gateway.yaml }", "{ redTeam: redteam.json }"));
        var m = a.Threat("RAMP-THR-006:api").Mitigation("AML.M0008");
        m.Outcome.Should().Be(MitigationOutcome.Failed);
        m.Evidence.Single().Detail.Should().StartWith("cannot read the red-team report").And.Contain(reason);
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
