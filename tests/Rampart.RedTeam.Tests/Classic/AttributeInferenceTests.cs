using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Classic;

public sealed class AttributeInferenceTests
{
    private static async Task<AttackResult> RunAsync(bool usesSensitive, string? sensitive)
    {
        await using var server = await ScriptedModelServer.StartAsync(usesSensitive);
        using var temp = new TempDirectory();
        var data = SampleData.Read(ScriptedModelServer.WriteSample(temp.Path));
        var report = await RedTeamRunner.RunModelAsync([new RunTarget("direct", server.Address)], ModelProtocol.Mlflow, "m", data,
            new ModelAttackOptions(1, 100, ["attribute-inference"], SensitiveFeature: sensitive), TestSupport.Harness(), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        return report.Runs[0].Attacks.Single();
    }

    [Fact]
    public async Task ModelThatUsesTheAttribute_GivesItAway()
    {
        var attack = await RunAsync(usesSensitive: true, "s");
        attack.Metrics["accuracy"].Should().Be(1);
        attack.Metrics["advantage"].Should().BeGreaterThan(0.4);
        attack.Status.Should().Be(OutcomeStatus.Failed);
        attack.Queries.Should().Be(200, "100 training rows, two values each");
    }

    [Fact]
    public async Task ModelThatIgnoresTheAttribute_GivesNothingAway()
    {
        var attack = await RunAsync(usesSensitive: false, "s");
        attack.Metrics["advantage"].Should().BeLessThanOrEqualTo(0.05);
        attack.Status.Should().Be(OutcomeStatus.Passed);
    }

    [Fact]
    public async Task ContinuousAttribute_IsSkippedWithAReason()
    {
        var attack = await RunAsync(usesSensitive: true, "f0");
        attack.Status.Should().Be(OutcomeStatus.Inconclusive);
        attack.Summary.Should().Contain("distinct values");
    }
}
