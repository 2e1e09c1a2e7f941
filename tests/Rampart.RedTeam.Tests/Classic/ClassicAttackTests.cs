using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Targets;
using Rampart.RedTeam.Tests.Targets;
using Xunit.Abstractions;

namespace Rampart.RedTeam.Tests.Classic;

/// <summary>The black-box attacks against a real, deliberately overfit scikit-learn model served by Debian's python3.</summary>
public sealed class ClassicAttackTests(ITestOutputHelper output)
{
    private static Task<RedTeamReport> RunAsync(SklearnTarget target, ModelProtocol protocol, string[] attacks, int budget = 1000, int samples = 10) =>
        RedTeamRunner.RunModelAsync([new RunTarget("direct", target.Address)], protocol, "m", SampleData.Read(target.SamplePath),
            new ModelAttackOptions(3, budget, attacks, samples), TestSupport.Harness(timeoutSeconds: 30), TestSupport.Tool, TimeProvider.System, CancellationToken.None);

    private AttackResult Attack(RedTeamReport report, string id)
    {
        var attack = report.Runs.Single().Attacks.Single(a => a.Id == id);
        output.WriteLine($"{id}: {attack.Status} {attack.Summary} [{string.Join(", ", attack.Metrics.Select(m => $"{m.Key}={m.Value:0.###}"))}] queries={attack.Queries}");
        return attack;
    }

    [SklearnFact]
    public async Task Extraction_LogisticRegression_ReachesNinetyPercentWithinAThousandQueries()
    {
        await using var target = await SklearnTarget.StartAsync("lr");
        var report = await RunAsync(target, ModelProtocol.V2, ["extraction"]);
        var attack = Attack(report, "extraction");

        attack.Metrics["agreement"].Should().BeGreaterThanOrEqualTo(0.9);
        attack.Queries.Should().BeLessThanOrEqualTo(1000 + 400, "the budget plus the evaluation rows");
        attack.Status.Should().Be(OutcomeStatus.Failed);
        var curve = attack.Curves[0].Points;
        curve.Select(p => p.X).Should().Equal(25, 50, 100, 200, 400, 800, 1000);
        curve[^1].Y.Should().BeGreaterThan(curve[0].Y - 0.05, "more queries do not make the copy worse");
        report.Runs[0].Findings.Should().Contain(f => f.RuleId == "RAMP-RT-101");
    }

    [SklearnFact]
    public async Task Membership_OverfitTrees_WithProbabilities_IsClearlyAboveChance()
    {
        await using var target = await SklearnTarget.StartAsync("trees");
        var report = await RunAsync(target, ModelProtocol.Mlflow, ["membership-threshold", "membership-shadow"]);

        var threshold = Attack(report, "membership-threshold");
        threshold.Metrics["auc"].Should().BeGreaterThan(0.85);
        threshold.Metrics["advantage"].Should().BeGreaterThan(0.8, "the best threshold separates members from non-members almost completely");
        threshold.Metrics.Should().ContainKey("tpr_at_1pct_fpr", "reported even where ties at confidence 1.0 make it 0");
        threshold.Metrics["label_only"].Should().Be(0);
        threshold.Status.Should().Be(OutcomeStatus.Failed);
        var shadow = Attack(report, "membership-shadow");
        shadow.Metrics["auc"].Should().BeGreaterThan(0.7);
        threshold.Curves[0].Points[0].Should().Be(new CurvePoint(0, 0));
        threshold.Curves[0].Points[^1].Should().Be(new CurvePoint(1, 1));
    }

    [SklearnFact]
    public async Task Membership_LabelsOnly_IsNearChance()
    {
        await using var target = await SklearnTarget.StartAsync("trees", labelsOnly: true);
        var report = await RunAsync(target, ModelProtocol.V2, ["membership-threshold", "membership-shadow"]);

        foreach (var id in new[] { "membership-threshold", "membership-shadow" })
        {
            var attack = Attack(report, id);
            attack.Metrics["label_only"].Should().Be(1);
            attack.Metrics["auc"].Should().BeInRange(0.4, 0.6);
            attack.Status.Should().Be(OutcomeStatus.Passed);
        }
    }

    [SklearnFact]
    public async Task Evasion_SmallModel_Succeeds()
    {
        await using var target = await SklearnTarget.StartAsync("lr");
        var report = await RunAsync(target, ModelProtocol.TfServing, ["evasion-boundary", "evasion-random-search"]);

        var boundary = Attack(report, "evasion-boundary");
        boundary.Metrics["success_at_2"].Should().BeGreaterThanOrEqualTo(0.8, "a linear model's boundary is within reach of most rows");
        boundary.Curves[0].Points.Select(p => p.Y).Should().BeInAscendingOrder("a larger budget never lowers the success rate");
        var random = Attack(report, "evasion-random-search");
        random.Metrics["success_at_2"].Should().BeGreaterThan(0.3);
    }

    [SklearnFact]
    public async Task Membership_WithoutMemberColumn_IsSkippedWithAReason()
    {
        await using var target = await SklearnTarget.StartAsync("lr");
        using var temp = new TestKit.TempDirectory();
        var lines = File.ReadAllLines(target.SamplePath);
        var path = Path.Combine(temp.Path, "nomember.csv");
        File.WriteAllLines(path, lines.Select(l => l[..l.LastIndexOf(',')]));
        var report = await RedTeamRunner.RunModelAsync([new RunTarget("direct", target.Address)], ModelProtocol.Mlflow, "m", SampleData.Read(path),
            new ModelAttackOptions(3, 100, ["membership-threshold"]), TestSupport.Harness(), TestSupport.Tool, TimeProvider.System, CancellationToken.None);
        var attack = report.Runs[0].Attacks.Single();
        attack.Status.Should().Be(OutcomeStatus.Inconclusive);
        attack.Summary.Should().Contain("'member' column");
    }
}
