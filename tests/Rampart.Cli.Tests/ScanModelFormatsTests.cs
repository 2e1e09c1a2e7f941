using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Cli.Tests;

/// <summary>`rampart scan` end to end on the Keras and Hugging Face fixtures: table, JSON formats and SARIF rules.</summary>
public sealed class ScanModelFormatsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Scan_KerasArchiveWithHostileLambda_SarifCarriesKerasRuleAndResult()
    {
        var path = FixtureCatalog.Get("keras/keras3-lambda-archive").Materialize(_dir.Path);

        var run = await CliRunner.RunAsync(["scan", path, "--format", "sarif"]);

        run.ExitCode.Should().Be(ExitCodes.Findings);
        using var sarif = JsonDocument.Parse(run.Stdout);
        var sarifRun = sarif.RootElement.GetProperty("runs")[0];
        var rules = sarifRun.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        rules.Should().Contain(["RAMP-KERAS-001", "RAMP-KERAS-002"]);
        sarifRun.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("ruleId").GetString()).Should().Contain("RAMP-KERAS-002");
    }

    [Fact]
    public async Task Scan_HubRepositoryWithRemoteCode_SarifAndJsonCarryHfRuleAndFormats()
    {
        var folder = FixtureCatalog.Get("hf/remote-code").Materialize(_dir.Path);

        var sarif = await CliRunner.RunAsync(["scan", folder, "--format", "sarif"]);
        var json = await CliRunner.RunAsync(["scan", folder, "--format", "json"]);

        sarif.Stdout.Should().Contain("\"ruleId\": \"RAMP-HF-001\"");
        using var document = JsonDocument.Parse(json.Stdout);
        document.RootElement.GetProperty("artifacts").EnumerateArray()
            .Should().Contain(a => a.GetProperty("formats").EnumerateArray().Any(f => f.GetString() == "huggingface"));
    }

    [Fact]
    public async Task Scan_KerasArchive_ConsoleTableListsMembersWithFormats()
    {
        var path = FixtureCatalog.Get("keras/keras3-lambda-archive").Materialize(_dir.Path);

        var run = await CliRunner.RunAsync(["scan", path]);

        var row = run.Stdout.Split('\n').First(l => l.Contains("lambda.keras!/config.json ", StringComparison.Ordinal));
        row.Should().Contain("keras-config").And.Contain("MALICIOUS");
        run.Stdout.Split('\n').Should().Contain(l => l.TrimStart().StartsWith(path, StringComparison.Ordinal) && l.Contains("zip, keras", StringComparison.Ordinal));
    }
}
