using Rampart.Gateway;
using Rampart.Gateway.Config;
using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.RedTeam.Tests;

/// <summary>
/// The same run pointed at the target and through a real Rampart gateway (started in-process) in front of it: the
/// report shows which mitigations work side by side, and which weaknesses the gateway's configuration does not cover.
/// </summary>
public sealed class GatewayBeforeAfterTests(ITestOutputHelper output)
{
    /// <summary>A gateway in front of a chat target and a model target, one route per mitigation (docs/redteam.md).</summary>
    internal static async Task<GatewayHost> StartGatewayAsync(TempDirectory temp, Uri chat, Uri? model)
    {
        var yaml = $$"""
            clusters:
              chat: { destinations: ["{{chat}}"] }
              model: { destinations: ["{{model ?? chat}}"] }
            routes:
              - name: chat
                path: /v1/chat/completions
                protocol: openai-chat
                cluster: chat
                public: true
                checks:
                  canaries: ["{{ScriptedChatServer.Canary}}"]
                  denyPatterns: ['\b(ignore|disregard)\b.{0,60}\b(instructions?|rules?)\b', 'instructions for the ai', 'system override']
                  exfiltration: { allowedHosts: [docs.example.com] }
              - name: masked
                path: "/masked/v2/models/{model}/infer"
                protocol: v2-infer
                cluster: model
                public: true
                checks: { masking: label }
              - name: limited
                path: "/limited/v2/models/{model}/infer"
                protocol: v2-infer
                cluster: model
                public: true
                rateLimit: { requestsPerMinute: 2 }
              - name: detect
                path: /detect/v1/chat/completions
                protocol: openai-chat
                cluster: chat
                public: true
                checks: { injection: block }
              - name: prada
                path: "/prada/v2/models/{model}/infer"
                protocol: v2-infer
                cluster: model
                public: true
                checks: { extraction: { action: block, minQueries: 30, pradaDelta: 0.95 } }
            """;
        return await GatewayHost.StartAsync(GatewayConfigParser.Parse(yaml, "gateway.yaml", temp.Path), new GatewayHostOptions { Listen = "http://127.0.0.1:0" });
    }

    [Fact]
    public async Task Llm_ThroughGateway_CanaryInjectionAndExfiltrationChecksStopTheirProbes()
    {
        using var temp = new TempDirectory();
        await using var weak = await ScriptedChatServer.StartAsync(hardened: false);
        await using var gateway = await StartGatewayAsync(temp, weak.Address, null);

        var report = await RedTeamRunner.RunLlmAsync(
            [new RunTarget("direct", weak.Address), new RunTarget("through gateway", gateway.Address)], "test-model", false, [],
            new LlmRunOptions(1, 1, [ScriptedChatServer.Canary], []), TestSupport.Harness(), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        output.WriteLine(RedTeamText.Render(report, Core.Severity.High));

        var direct = report.Runs[0].Probes.ToDictionary(p => p.Id);
        var guarded = report.Runs[1].Probes.ToDictionary(p => p.Id);
        foreach (var id in new[] { "spe.repeat", "pi.ignore-previous", "ii.review-comment", "ii.web-page", "mx.image-beacon", "mx.document-link" })
        {
            direct[id].Status.Should().Be(OutcomeStatus.Failed, $"{id} finds the planted weakness directly");
            guarded[id].Status.Should().Be(OutcomeStatus.Passed, $"the gateway stops {id}");
        }

        guarded["spe.repeat"].Refusals.Should().BeGreaterThan(0, "the canary check withholds the answer");
        guarded["pi.ignore-previous"].Refusals.Should().Be(3, "the deny patterns refuse all three injections");
        guarded["bias.hiring-gender"].Status.Should().Be(OutcomeStatus.Failed, "no gateway check measures bias: the report says so instead of hiding it");
        guarded["enc.base64"].Status.Should().Be(OutcomeStatus.Failed, "plain-text deny patterns miss an encoded instruction");
        report.ExitCode(Core.Severity.High).Should().Be(Core.ExitCodes.Findings);
    }

    [Fact]
    public async Task Llm_ThroughGateway_TheInjectionDetectorAloneStopsTheInjectionProbes()
    {
        using var temp = new TempDirectory();
        await using var weak = await ScriptedChatServer.StartAsync(hardened: false);
        await using var gateway = await StartGatewayAsync(temp, weak.Address, null);

        var report = await RedTeamRunner.RunLlmAsync(
            [new RunTarget("direct", weak.Address), new RunTarget("through gateway (injection: block)", new Uri(gateway.Address, "detect/"))], "test-model", false,
            ["prompt-injection", "indirect-injection", "system-prompt-extraction"], new LlmRunOptions(1, 1, [ScriptedChatServer.Canary], []),
            TestSupport.Harness(), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        output.WriteLine(RedTeamText.Render(report, Core.Severity.High));

        var direct = report.Runs[0].Probes.ToDictionary(p => p.Id);
        var guarded = report.Runs[1].Probes.ToDictionary(p => p.Id);
        foreach (var id in new[] { "pi.ignore-previous", "ii.review-comment", "ii.web-page", "spe.repeat" })
        {
            direct[id].Status.Should().Be(OutcomeStatus.Failed, $"{id} finds the planted weakness directly");
            guarded[id].Status.Should().Be(OutcomeStatus.Passed, $"the gateway's injection rules and classifier refuse {id} (no deny patterns or canary on this route)");
        }

        guarded["pi.ignore-previous"].Refusals.Should().BeGreaterThan(0, "the detector refuses injected instructions before they reach the model");
        report.Runs[1].Findings.Count.Should().BeLessThan(report.Runs[0].Findings.Count);
    }

    [SklearnFact]
    public async Task Model_ThroughGateway_PradaStopsTheSurrogateEarly_AndTheReportKeepsItsAgreement()
    {
        using var temp = new TempDirectory();
        await using var model = await SklearnTarget.StartAsync("lr");
        await using var weak = await ScriptedChatServer.StartAsync(hardened: false);
        await using var gateway = await StartGatewayAsync(temp, weak.Address, model.Address);

        var report = await RedTeamRunner.RunModelAsync(
            [new RunTarget("direct", model.Address), new RunTarget("through gateway (extraction: PRADA)", new Uri(gateway.Address, "prada/"))], ModelProtocol.V2, "m",
            SampleData.Read(model.SamplePath), new ModelAttackOptions(3, 1000, ["extraction"]), TestSupport.Harness(timeoutSeconds: 30), TestSupport.Tool,
            TimeProvider.System, CancellationToken.None);
        output.WriteLine(RedTeamText.Render(report, Core.Severity.High));

        var direct = report.Runs[0].Attacks[0];
        var guarded = report.Runs[1].Attacks[0];
        direct.StoppedBy.Should().BeNull();
        direct.Metrics["queries"].Should().Be(1000);
        guarded.StoppedBy.Should().Contain("403", "a PRADA alarm refuses the query");
        guarded.Metrics["queries"].Should().BeLessThan(1000, "the detector stops the attacker before the budget is spent");
        guarded.Metrics.Should().ContainKey("agreement", "the report keeps what the attacker had when it was stopped");
        RedTeamText.Render(report, Core.Severity.High).Should().Contain("through gateway (extraction: PRADA)");
    }

    [SklearnFact]
    public async Task Model_ThroughGateway_MaskingPullsMembershipAucToChance_AndRateLimitStopsExtraction()
    {
        using var temp = new TempDirectory();
        await using var model = await SklearnTarget.StartAsync("trees");
        await using var weak = await ScriptedChatServer.StartAsync(hardened: false);
        await using var gateway = await StartGatewayAsync(temp, weak.Address, model.Address);
        var data = SampleData.Read(model.SamplePath);

        var membership = await RedTeamRunner.RunModelAsync(
            [new RunTarget("direct", model.Address), new RunTarget("through gateway", new Uri(gateway.Address, "masked/"))], ModelProtocol.V2, "m", data,
            new ModelAttackOptions(3, 200, ["membership-threshold"]), TestSupport.Harness(timeoutSeconds: 30), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        var extraction = await RedTeamRunner.RunModelAsync(
            [new RunTarget("direct", model.Address), new RunTarget("through gateway", new Uri(gateway.Address, "limited/"))], ModelProtocol.V2, "m", data,
            new ModelAttackOptions(3, 1000, ["extraction"]), TestSupport.Harness(timeoutSeconds: 30), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        output.WriteLine(RedTeamText.Render(membership, Core.Severity.High) + RedTeamText.Render(extraction, Core.Severity.High));

        membership.Runs[0].Attacks[0].Metrics["auc"].Should().BeGreaterThan(0.85);
        membership.Runs[1].Attacks[0].Metrics["auc"].Should().BeInRange(0.4, 0.6);
        membership.Runs[1].Attacks[0].Metrics["label_only"].Should().Be(1);

        var direct = extraction.Runs[0].Attacks[0];
        var limited = extraction.Runs[1].Attacks[0];
        direct.StoppedBy.Should().BeNull();
        direct.Metrics["queries"].Should().Be(1000);
        limited.StoppedBy.Should().Contain("429");
        limited.Metrics["queries"].Should().Be(50, "two requests a minute: the 25- and 50-query budgets, then 429");
        // On this near-linear data 50 answers already give a close copy: the rate limit stops the attacker, it does not
        // make the model safe to expose with labels. The report shows both numbers; docs/redteam.md says so.
        limited.Metrics["agreement"].Should().BeGreaterThan(0.5);
    }
}
