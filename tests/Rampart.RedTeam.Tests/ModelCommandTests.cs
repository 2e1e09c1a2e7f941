using System.Text.Json;
using Rampart.RedTeam.Tests.Reports;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;
using Xunit.Abstractions;

namespace Rampart.RedTeam.Tests;

/// <summary>
/// `rampart redteam model` end to end through the CLI against the real scikit-learn model (Debian's python) over v2
/// and MLflow, and through a real gateway with --through (masking; PRADA is shown in GatewayBeforeAfterTests): exit codes by --fail-on, and the JSON report validated
/// against docs/redteam-report.schema.json.
/// </summary>
public sealed class ModelCommandTests(ITestOutputHelper output)
{
    private static readonly string Schema = Path.Combine(RepositoryPaths.Root, "docs", "redteam-report.schema.json");

    private void Validates(string json)
    {
        if (SchemaValidator.SkipReason is { } reason)
        {
            output.WriteLine($"schema check skipped: {reason}");
            return;
        }

        var (valid, errors) = SchemaValidator.Validate(json, Schema);
        valid.Should().BeTrue(errors);
    }

    [SklearnFact]
    public async Task Model_V2_MembershipOnOverfitTrees_ExitCodeFollowsFailOn_AndJsonValidates()
    {
        await using var target = await SklearnTarget.StartAsync("trees");
        string[] run = ["redteam", "model", "--target", target.Address.ToString(), "--protocol", "v2", "--model", "m", "--data", target.SamplePath,
            "--attack", "membership-threshold", "--format", "json", "--seed", "3"];

        var (code, stdout, stderr) = await TestSupport.CliAsync([.. run, "--fail-on", "high"]);
        output.WriteLine(stdout);
        code.Should().Be(1, $"membership inference (RAMP-RT-102, high) succeeds on the overfit model: {stderr}");
        Validates(stdout);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var root = doc.RootElement;
            root.GetProperty("kind").GetString().Should().Be("model");
            root.GetProperty("exitCode").GetInt32().Should().Be(1);
            var attack = root.GetProperty("runs")[0].GetProperty("attacks")[0];
            attack.GetProperty("status").GetString().Should().Be("failed");
            attack.GetProperty("metrics").GetProperty("auc").GetDouble().Should().BeGreaterThan(0.85);
            root.GetProperty("runs")[0].GetProperty("findings")[0].GetProperty("ruleId").GetString().Should().Be("RAMP-RT-102");
        }

        (code, stdout, stderr) = await TestSupport.CliAsync([.. run, "--fail-on", "critical"]);
        code.Should().Be(0, $"a high finding is under the critical threshold: {stderr}");
        JsonDocument.Parse(stdout).RootElement.GetProperty("failOn").GetString().Should().Be("critical");
    }

    [SklearnFact]
    public async Task Model_Mlflow_ExtractionOnLogisticRegression_ReachesAgreement_AndWritesSarif()
    {
        await using var target = await SklearnTarget.StartAsync("lr");
        using var temp = new TempDirectory();
        var json = Path.Combine(temp.Path, "report.json");
        var (code, _, stderr) = await TestSupport.CliAsync("redteam", "model", "--target", target.Address.ToString(), "--protocol", "mlflow", "--data", target.SamplePath,
            "--attack", "extraction", "--budget", "400", "--format", "json", "--output", json);
        code.Should().Be(1, stderr);
        var text = File.ReadAllText(json);
        Validates(text);
        using var doc = JsonDocument.Parse(text);
        var attack = doc.RootElement.GetProperty("runs")[0].GetProperty("attacks")[0];
        attack.GetProperty("metrics").GetProperty("agreement").GetDouble().Should().BeGreaterThanOrEqualTo(0.9);
        attack.GetProperty("queries").GetInt64().Should().BeGreaterThan(0);

        var (sarifCode, sarif, _) = await TestSupport.CliAsync("redteam", "model", "--target", target.Address.ToString(), "--protocol", "mlflow", "--data", target.SamplePath,
            "--attack", "extraction", "--budget", "400", "--format", "sarif");
        sarifCode.Should().Be(1);
        JsonDocument.Parse(sarif).RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength().Should().BeGreaterThan(0);
    }

    [SklearnFact]
    public async Task Model_Through_GatewayWithMasking_ShowsBothRunsSideBySide()
    {
        await using var target = await SklearnTarget.StartAsync("trees");
        await using var chat = await ScriptedChatServer.StartAsync(hardened: false);
        using var temp = new TempDirectory();
        await using var gateway = await GatewayBeforeAfterTests.StartGatewayAsync(temp, chat.Address, target.Address);

        var (code, stdout, stderr) = await TestSupport.CliAsync("redteam", "model", "--target", target.Address.ToString(), "--through", new Uri(gateway.Address, "masked/").ToString(),
            "--protocol", "v2", "--model", "m", "--data", target.SamplePath, "--attack", "membership-threshold", "--format", "json");
        output.WriteLine(stdout);
        code.Should().Be(1, $"the exit code is the target's own (first run): {stderr}");
        Validates(stdout);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var runs = doc.RootElement.GetProperty("runs");
            runs.GetArrayLength().Should().Be(2);
            runs[1].GetProperty("label").GetString().Should().Be("through gateway");
            runs[0].GetProperty("attacks")[0].GetProperty("metrics").GetProperty("auc").GetDouble().Should().BeGreaterThan(0.85);
            runs[1].GetProperty("attacks")[0].GetProperty("metrics").GetProperty("auc").GetDouble().Should().BeInRange(0.4, 0.6, "masking: label leaves only labels");
        }
    }
}
