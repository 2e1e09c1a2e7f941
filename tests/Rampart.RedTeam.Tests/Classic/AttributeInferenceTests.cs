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

public sealed class ModelJournalTests
{
    [Fact]
    public async Task RunModel_SecondRunWithSameJournal_AsksTheModelNothing()
    {
        await using var server = await ScriptedModelServer.StartAsync(usesSensitive: true);
        using var temp = new TempDirectory();
        var data = SampleData.Read(ScriptedModelServer.WriteSample(temp.Path));
        var journal = Path.Combine(temp.Path, "run.jsonl");
        Task<RedTeamReport> Run() => RedTeamRunner.RunModelAsync([new RunTarget("direct", server.Address)], ModelProtocol.Mlflow, "m", data,
            new ModelAttackOptions(1, 200, ["extraction", "attribute-inference"], SensitiveFeature: "s"), TestSupport.Harness(journal: journal), TestSupport.Tool, TimeProvider.System, CancellationToken.None);

        var first = await Run();
        var second = await Run();

        first.Runs[0].Requests.Should().BeGreaterThan(0);
        second.Runs[0].Requests.Should().Be(0, "every row's answer comes from the journal");
        second.Runs[0].Attacks.Select(a => (a.Id, a.Status, a.Summary)).Should().Equal(first.Runs[0].Attacks.Select(a => (a.Id, a.Status, a.Summary)));
    }
}
