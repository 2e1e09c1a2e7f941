using System.Text.Json;
using Rampart.RedTeam.Reports;
using Rampart.RedTeam.Tests.Reports;
using Rampart.RedTeam.Tests.Targets;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests;

/// <summary>
/// The redteam.json files of examples/threats/ are real `rampart redteam` reports, read as evidence by
/// `rampart threats` (whose ExamplesTests re-derive the threat reports from them). RAMPART_UPDATE_GOLDEN=1 reruns
/// them: the fraud API's against the overfit scikit-learn model (Debian's python) over v2, the fine-tuned assistant's
/// against the hardened scripted chat server. Otherwise each committed file must be a valid report of the schema.
/// </summary>
public sealed class ThreatExampleReportsTests
{
    private static readonly string Examples = Path.Combine(RepositoryPaths.Root, "examples", "threats");

    private static bool Update => Environment.GetEnvironmentVariable("RAMPART_UPDATE_GOLDEN") == "1";

    [SklearnFact]
    public async Task FraudModelApi_IsAModelRunAgainstTheSklearnTarget()
    {
        var path = Path.Combine(Examples, "fraud-model-api", "redteam.json");
        if (Update)
        {
            await using var target = await SklearnTarget.StartAsync("trees");
            var (code, _, stderr) = await TestSupport.CliAsync("redteam", "model", "--target", target.Address.ToString(), "--protocol", "v2", "--model", "m", "--data", target.SamplePath,
                "--attack", "membership-threshold", "--attack", "extraction", "--budget", "400", "--format", "json", "--output", path);
            code.Should().Be(1, stderr);
        }

        var report = Check(path, "model");
        report.Runs[0].Succeeded.Should().BeGreaterThan(0, "the overfit model leaks membership");
    }

    [Fact]
    public async Task FineTuningPipeline_IsAnLlmRunAgainstTheHardenedChatServer()
    {
        var path = Path.Combine(Examples, "fine-tuning-pipeline", "redteam.json");
        if (Update)
        {
            await using var hardened = await ScriptedChatServer.StartAsync(hardened: true);
            var (code, _, stderr) = await TestSupport.CliAsync("redteam", "llm", "--target", hardened.Address.ToString(), "--canary", ScriptedChatServer.Canary,
                "--format", "json", "--output", path);
            code.Should().Be(0, stderr);
        }

        var report = Check(path, "llm");
        report.Runs[0].Succeeded.Should().Be(0, "the hardened variant withstands every probe");
    }

    private static RedTeamReportSummary Check(string path, string kind)
    {
        var json = File.ReadAllText(path);
        if (SchemaValidator.SkipReason is null)
        {
            var (valid, errors) = SchemaValidator.Validate(json, Path.Combine(RepositoryPaths.Root, "docs", "redteam-report.schema.json"));
            valid.Should().BeTrue(errors);
        }

        JsonDocument.Parse(json).RootElement.GetProperty("tool").GetProperty("name").GetString().Should().Be("rampart");
        var report = RedTeamReportSummary.Parse(File.ReadAllBytes(path));
        report.Kind.Should().Be(kind);
        report.Runs[0].Tried.Should().BeGreaterThan(0);
        return report;
    }
}
