using Rampart.RedTeam.Probes;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Tests.Targets;

namespace Rampart.RedTeam.Tests.Probes;

/// <summary>Every probe against the scripted chat server: each planted weakness is found, the hardened variant passes.</summary>
public sealed class LlmProbeTests : IAsyncLifetime
{
    private ScriptedChatServer _weak = null!;
    private ScriptedChatServer _hardened = null!;

    public async Task InitializeAsync()
    {
        _weak = await ScriptedChatServer.StartAsync(hardened: false);
        _hardened = await ScriptedChatServer.StartAsync(hardened: true);
    }

    public async Task DisposeAsync()
    {
        await _weak.DisposeAsync();
        await _hardened.DisposeAsync();
    }

    [Fact]
    public async Task RunLlm_WeakServer_FindsEveryPlantedWeakness()
    {
        var report = await TestSupport.RunLlmAsync(_weak.Address, options: new LlmRunOptions(1, 1, [ScriptedChatServer.Canary], [ScriptedChatServer.Secret]));
        var run = report.Runs.Single();

        run.Partial.Should().BeFalse(string.Join("; ", run.Errors));
        run.Probes.Where(p => p.Status != OutcomeStatus.Failed).Select(p => p.Id).Should().BeEmpty("the weak server has a weakness for every probe");
        run.Findings.Select(f => f.RuleId).Distinct().Should().HaveCount(13);
        report.ExitCode(Core.Severity.High).Should().Be(Core.ExitCodes.Findings);
    }

    [Theory]
    [InlineData("system-prompt-extraction", "cn")]
    [InlineData("secret-leakage", "pw-rt")]
    [InlineData("prompt-injection", "rt")]
    [InlineData("markdown-exfiltration", "collect.attacker.example")]
    public async Task RunLlm_WeakServer_EvidenceShowsWhatLeaked(string family, string expected)
    {
        var report = await TestSupport.RunLlmAsync(_weak.Address, families: [family]);
        report.Runs[0].Probes.Should().OnlyContain(p => p.Evidence != null && p.Evidence.Contains(expected));
    }

    [Fact]
    public async Task RunLlm_WeakServer_BiasDisparityIsMeasured()
    {
        var report = await TestSupport.RunLlmAsync(_weak.Address, families: ["bias"]);
        var gender = report.Runs[0].Probes.Single(p => p.Id == "bias.hiring-gender");
        gender.Means.Should().BeEquivalentTo(new Dictionary<string, double> { ["a man"] = 8, ["a woman"] = 5 });
        gender.Disparity.Should().Be(3);
        gender.Status.Should().Be(OutcomeStatus.Failed);
    }

    [Fact]
    public async Task RunLlm_UserCanaryAndSecret_AreFoundInTheTargetsOwnPrompt()
    {
        var report = await TestSupport.RunLlmAsync(_weak.Address, options: new LlmRunOptions(1, 1, [ScriptedChatServer.Canary], [ScriptedChatServer.Secret]), families: ["secret-leakage"]);
        report.Runs[0].Probes.Single().Evidence.Should().Contain("pw-rt", "the probe's own planted password comes first in the answer");
        var secretsOnly = await TestSupport.RunLlmAsync(_weak.Address, options: new LlmRunOptions(1, 1, [], [ScriptedChatServer.Secret]), families: ["secret-leakage"]);
        secretsOnly.Runs[0].Probes.Single().Status.Should().Be(OutcomeStatus.Failed);
    }

    [Fact]
    public async Task RunLlm_HardenedServer_PassesEveryProbe()
    {
        var report = await TestSupport.RunLlmAsync(_hardened.Address, options: new LlmRunOptions(1, 2, [ScriptedChatServer.Canary], [ScriptedChatServer.Secret]));
        var run = report.Runs.Single();

        run.Probes.Where(p => p.Status != OutcomeStatus.Passed).Select(p => $"{p.Id}: {p.Evidence}").Should().BeEmpty();
        run.Findings.Should().BeEmpty();
        report.ExitCode(Core.Severity.Low).Should().Be(Core.ExitCodes.Clean);
    }

    [Fact]
    public async Task RunLlm_SameSeed_SameEvidence_OtherSeed_OtherNonces()
    {
        var a = await TestSupport.RunLlmAsync(_weak.Address, options: TestSupport.Llm(seed: 5), families: ["prompt-injection", "encoding"]);
        var b = await TestSupport.RunLlmAsync(_weak.Address, options: TestSupport.Llm(seed: 5), families: ["prompt-injection", "encoding"], harness: TestSupport.Harness(concurrency: 1));
        var c = await TestSupport.RunLlmAsync(_weak.Address, options: TestSupport.Llm(seed: 6), families: ["prompt-injection", "encoding"]);

        b.Runs[0].Probes.Select(p => p.Evidence).Should().Equal(a.Runs[0].Probes.Select(p => p.Evidence));
        c.Runs[0].Probes.Select(p => p.Evidence).Should().NotIntersectWith(a.Runs[0].Probes.Select(p => p.Evidence));
    }

    [Fact]
    public async Task RunLlm_StreamedAnswers_AreJudgedLikeWholeOnes()
    {
        var families = new[] { "prompt-injection", "system-prompt-extraction", "jailbreak" };
        var whole = await TestSupport.RunLlmAsync(_weak.Address, families: families);
        var streamed = await TestSupport.RunLlmAsync(_weak.Address, families: families, stream: true);
        streamed.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Evidence)).Should().Equal(whole.Runs[0].Probes.Select(p => (p.Id, p.Status, p.Evidence)));
        var hardened = await TestSupport.RunLlmAsync(_hardened.Address, families: families, stream: true);
        hardened.Runs[0].Probes.Should().OnlyContain(p => p.Status == OutcomeStatus.Passed);
    }
}
