using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class ScanCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string content)
    {
        var path = _dir.File(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static Task<CliRun> RunWithMarkerAsync(params string[] args) =>
        CliRunner.RunAsync(args, e => e with { ScannerFactory = CliRunner.MarkerScanner });

    private static void ShouldBeOneLineUsageError(CliRun run, string expected)
    {
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().StartWith("rampart: ").And.Contain(expected).And.NotContain("   at ");
        run.Stderr.TrimEnd().Split('\n').Should().ContainSingle();
    }

    [Fact]
    public async Task Scan_ModelNamedFileWithUnknownBytes_ExitsInconclusiveAndExplains()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "no model here")]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().Contain("INCONCLUSIVE").And.Contain("RAMP-GEN-003").And.Contain("A model file whose content Rampart does not recognise")
            .And.Contain("Why it matters:").And.Contain("How to fix:").And.Contain("docs/rules/RAMP-GEN-003.md")
            .And.Contain("Exit 2:");
        run.Stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_ReadmeOnly_ExitsCleanAndCountsItSkipped()
    {
        var run = await CliRunner.RunAsync(["scan", Write("README.md", "# hello")]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("SKIPPED  1 artifact(s)").And.Contain("Exit 0:").And.NotContain("README.md");
    }

    [Fact]
    public async Task Scan_Verbose_ListsSkippedFiles()
    {
        var run = await CliRunner.RunAsync(["scan", Write("README.md", "# hello"), "--verbose"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("README.md").And.Contain("not a model or serialized-object format");
    }

    [Fact]
    public async Task Scan_FindingAtOrAboveThreshold_ExitsFindings()
    {
        var run = await RunWithMarkerAsync("scan", Write("evil.bin", "EVIL payload"));
        run.ExitCode.Should().Be(ExitCodes.Findings);
        run.Stdout.Should().Contain("MALICIOUS").And.Contain("HIGH").And.Contain(CliRunner.MarkerRuleId).And.Contain("offset 0x0 (0): marker");
    }

    [Fact]
    public async Task Scan_FailOnAboveFindingSeverity_ExitsClean()
    {
        var run = await RunWithMarkerAsync("scan", Write("evil.bin", "EVIL payload"), "--fail-on", "critical");
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("MALICIOUS").And.Contain("no finding at or above 'critical'");
    }

    [Fact]
    public async Task Scan_PolicyFailOn_IsUsedAndOverriddenByOption()
    {
        var target = Write("evil.bin", "EVIL payload");
        var policy = Write("policy.yaml", "version: 1\nfail-on: critical\n");
        (await RunWithMarkerAsync("scan", target, "--policy", policy)).ExitCode.Should().Be(ExitCodes.Clean);
        (await RunWithMarkerAsync("scan", target, "--policy", policy, "--fail-on", "HIGH")).ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Scan_PolicySuppression_ExitsCleanAndReportsSuppression()
    {
        var target = Write("evil.bin", "EVIL payload");
        var policy = Write("policy.yaml", $"suppressions:\n  - rule: {CliRunner.MarkerRuleId}\n    name: evil.*\n    justification: test marker, reviewed\n");
        var run = await RunWithMarkerAsync("scan", target, "--policy", policy, "--verbose");
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("SUPPRESSED  1 finding(s)").And.Contain("justification: test marker, reviewed");

        var json = await RunWithMarkerAsync("scan", target, "--policy", policy, "--format", "json");
        using var document = JsonDocument.Parse(json.Stdout);
        document.RootElement.GetProperty("suppressed")[0].GetProperty("justification").GetString().Should().Be("test marker, reviewed");
        document.RootElement.GetProperty("findings").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Scan_ExpiredSuppression_KeepsFindingAndWarns()
    {
        var target = Write("x.pt", "unknown bytes");
        var policy = Write("policy.yaml", "suppressions:\n  - rule: RAMP-GEN-003\n    justification: old exception\n    expires: 2020-01-31\n");
        var run = await CliRunner.RunAsync(["scan", target, "--policy", policy]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().Contain("warning: suppression of RAMP-GEN-003 (old exception) expired on 2020-01-31");
    }

    [Fact]
    public async Task Scan_RampartYamlBesideTarget_IsNotAppliedImplicitly()
    {
        Write("rampart.yaml", "suppressions:\n  - rule: RAMP-*\n    justification: would hide everything\n");
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "unknown bytes")], e => e with { CurrentDirectory = _dir.Path });
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
    }

    [Fact]
    public async Task Scan_InvalidPolicy_ExitsUsageErrorWithFileAndLine()
    {
        var policy = Write("bad.yaml", "version: 1\nfail-on: extreme\n");
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--policy", policy]);
        ShouldBeOneLineUsageError(run, $"invalid policy: {policy}:2:10: fail-on must be one of");
    }

    [Fact]
    public async Task Scan_PolicyWithUnknownKey_ExitsUsageErrorWithLine()
    {
        var policy = Write("bad.yaml", "version: 1\nsuppressions: []\nfial-on: high\n");
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--policy", policy]);
        ShouldBeOneLineUsageError(run, ":3:1: unknown key 'fial-on'");
    }

    [Fact]
    public async Task Scan_MissingPolicyFile_ExitsUsageError()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--policy", _dir.File("nope.yaml")]);
        ShouldBeOneLineUsageError(run, "cannot read the policy file");
    }

    [Theory]
    [InlineData(new[] { "scan" }, "Required argument 'PATH' missing")]
    [InlineData(new[] { "scan", "/definitely/not/here.pt" }, "does not exist")]
    [InlineData(new[] { "scan", ".", "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "scan", ".", "--fail-on", "extreme" }, "--fail-on must be one of info, low, medium, high, critical")]
    [InlineData(new[] { "scan", ".", "--format", "xml" }, "'xml'")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new string[0], "Required command was not provided")]
    [InlineData(new[] { "rules", "show", "RAMP-NOPE-999" }, "no rule with id 'RAMP-NOPE-999'")]
    public async Task Run_UsageMistake_ExitsThreeWithOneLine(string[] args, string expected)
    {
        ShouldBeOneLineUsageError(await CliRunner.RunAsync(args), expected);
    }

    [Fact]
    public async Task Scan_UnexpectedException_ExitsInternalErrorWithoutStackTrace()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?")], e => e with { ScannerFactory = () => throw new InvalidOperationException("boom") });
        run.ExitCode.Should().Be(ExitCodes.InternalError);
        run.Stderr.Should().Contain("internal error").And.Contain("InvalidOperationException: boom").And.NotContain("   at ");
        run.Stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_Cancelled_ExitsInconclusiveWithoutReport()
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var environment = CliRunner.Environment() with { Out = stdout, Error = stderr };
        var code = await RampartCli.RunAsync(["scan", Write("x.pt", "?")], environment, cancelled.Token);
        code.Should().Be(ExitCodes.Inconclusive);
        stdout.Length.Should().Be(0);
        stderr.ToString().Should().Contain("cancelled");
    }

    [Fact]
    public async Task Scan_FormatJson_WritesJsonReportToStdout()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        using var document = JsonDocument.Parse(run.Stdout);
        document.RootElement.GetProperty("exitCode").GetInt32().Should().Be(ExitCodes.Inconclusive);
        document.RootElement.GetProperty("tool").GetProperty("version").GetString().Should().Be(RampartTool.Info.Version);
    }

    [Fact]
    public async Task Scan_FormatSarif_UsesPathRelativeToWorkingFolder()
    {
        var target = Write("models/x.pt", "?");
        var run = await CliRunner.RunAsync(["scan", target, "-f", "sarif"], e => e with { CurrentDirectory = _dir.Path });
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        using var document = JsonDocument.Parse(run.Stdout);
        var result = document.RootElement.GetProperty("runs")[0].GetProperty("results")[0];
        result.GetProperty("ruleId").GetString().Should().Be("RAMP-GEN-003");
        result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString().Should().Be("models/x.pt");
    }

    [Theory]
    [InlineData("console", "RAMP-GEN-003")]
    [InlineData("json", "\"schemaVersion\"")]
    [InlineData("sarif", "\"version\": \"2.1.0\"")]
    public async Task Scan_OutputFile_WritesReportThereAndNothingToStdout(string format, string expected)
    {
        var report = _dir.File("report.out");
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--format", format, "--output", report],
            e => e with { OutIsTerminal = true });
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().Contain($"{format} report written to {report}");
        var written = await File.ReadAllTextAsync(report);
        written.Should().Contain(expected).And.NotContain("\u001b[", "a report file is never coloured");
    }

    /// <summary>One scan, several reports: --also FORMAT=FILE writes the same report again in another format.</summary>
    [Fact]
    public async Task Scan_Also_WritesEveryFormatFromTheOneScan()
    {
        var model = Write("x.pt", "?");
        var sarif = _dir.File("r.sarif");
        var json = _dir.File("r.json");
        var quality = _dir.File("q.json");

        var run = await CliRunner.RunAsync(["scan", model, "--format", "sarif", "--output", sarif, "--also", $"json={json}", "--also", $"codequality={quality}"]);

        run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stderr);
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().Contain($"sarif report written to {sarif}").And.Contain($"json report written to {json}").And.Contain($"codequality report written to {quality}");
        using var sarifDoc = JsonDocument.Parse(await File.ReadAllTextAsync(sarif));
        using var jsonDoc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        using var qualityDoc = JsonDocument.Parse(await File.ReadAllTextAsync(quality));
        var findings = jsonDoc.RootElement.GetProperty("findings").GetArrayLength();
        findings.Should().BeGreaterThan(0);
        sarifDoc.RootElement.GetProperty("runs")[0].GetProperty("results").GetArrayLength().Should().Be(findings);
        qualityDoc.RootElement.GetArrayLength().Should().Be(findings);
    }

    [Theory]
    [InlineData("codequality", "FORMAT=FILE")]
    [InlineData("nosuch=x.json", "FORMAT=FILE")]
    [InlineData("json=", "FORMAT=FILE")]
    [InlineData("json=r.sarif", "same file twice")]
    [InlineData("json=no/such/folder/r.json", "does not exist")]
    public async Task Scan_AlsoMistake_ExitsUsageErrorBeforeScanning(string also, string expected)
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--format", "sarif", "--output", "r.sarif", "--also", also],
            e => e with { CurrentDirectory = _dir.Path });
        ShouldBeOneLineUsageError(run, expected);
        File.Exists(_dir.File("r.sarif")).Should().BeFalse("nothing is written when an argument is wrong");
    }

    [Fact]
    public async Task Scan_OutputInMissingFolder_ExitsUsageErrorBeforeScanning()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?"), "--output", _dir.File("no/such/folder/r.json")]);
        ShouldBeOneLineUsageError(run, "does not exist");
    }

    [Fact]
    public async Task Scan_TerminalWithoutNoColor_IsColoured()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?")], e => e with { OutIsTerminal = true });
        run.Stdout.Should().Contain("\u001b[");
    }

    [Fact]
    public async Task Scan_TerminalWithNoColor_IsPlain()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?")], e => e with { OutIsTerminal = true, NoColor = true });
        run.Stdout.Should().Contain("RAMP-GEN-003").And.NotContain("\u001b[");
    }

    [Fact]
    public async Task Scan_RedirectedOutput_IsPlain()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?")]);
        run.Stdout.Should().Contain("RAMP-GEN-003").And.NotContain("\u001b[");
    }

    [Fact]
    public async Task Scan_NoTerminalOnStderr_ShowsNoProgress()
    {
        var run = await CliRunner.RunAsync(["scan", Write("x.pt", "?")], e => e with { ErrorIsTerminal = false });
        run.Stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_Folder_ScansEveryFileBelow()
    {
        Write("a/x.pt", "?");
        Write("a/b/y.pkl", "?");
        Write("a/b/notes.txt", "text");
        var run = await CliRunner.RunAsync(["scan", _dir.File("a"), "-f", "json"]);
        using var document = JsonDocument.Parse(run.Stdout);
        document.RootElement.GetProperty("summary").GetProperty("files").GetInt32().Should().Be(3);
        document.RootElement.GetProperty("summary").GetProperty("inconclusive").GetInt32().Should().Be(2);
        document.RootElement.GetProperty("summary").GetProperty("skipped").GetInt32().Should().Be(1);
    }

    // The environment's working folder is the temp folder; the test process's own working folder is elsewhere, so a
    // walker that resolved against the process would not find these files.
    private Task<CliRun> RunInTempFolderAsync(params string[] args) =>
        CliRunner.RunAsync(args, e => e with { CurrentDirectory = _dir.Path, ScannerFactory = CliRunner.MarkerScanner });

    [Theory]
    [InlineData("evil.bin")]
    [InlineData("./evil.bin")]
    [InlineData("sub/../evil.bin")]
    public async Task Scan_RelativeFile_IsResolvedAgainstTheCliWorkingFolder(string relative)
    {
        Write("evil.bin", "EVIL payload");
        Directory.CreateDirectory(_dir.File("sub"));
        File.Exists(Path.GetFullPath(relative)).Should().BeFalse("the process's own working folder must not hold the file");
        var run = await RunInTempFolderAsync("scan", relative, "-f", "json");
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        using var document = JsonDocument.Parse(run.Stdout);
        var artifact = document.RootElement.GetProperty("artifacts")[0];
        artifact.GetProperty("path").GetString().Should().Be(relative, "reports name a target as it was given");
        artifact.GetProperty("verdict").GetString().Should().Be("malicious");
    }

    [Fact]
    public async Task Scan_RelativeFolder_IsResolvedAgainstTheCliWorkingFolderAndShownRelative()
    {
        Write("models/a/evil.bin", "EVIL payload");
        Write("models/clean.bin", "fine");
        var run = await RunInTempFolderAsync("scan", "models", "-f", "json");
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        using var document = JsonDocument.Parse(run.Stdout);
        document.RootElement.GetProperty("artifacts").EnumerateArray().Select(a => a.GetProperty("path").GetString())
            .Should().Contain(["models/a/evil.bin", "models/clean.bin"]);
    }

    [Fact]
    public async Task Scan_RelativeOutputAndPolicy_AreResolvedAgainstTheCliWorkingFolder()
    {
        Write("evil.bin", "EVIL payload");
        Write("policy.yaml", "version: 1\nfail-on: critical\n");
        var run = await RunInTempFolderAsync("scan", "evil.bin", "--policy", "policy.yaml", "-f", "json", "-o", "out/report.json");
        run.ExitCode.Should().Be(ExitCodes.UsageError, "the folder out/ does not exist under the CLI's working folder");

        Directory.CreateDirectory(_dir.File("out"));
        run = await RunInTempFolderAsync("scan", "evil.bin", "--policy", "policy.yaml", "-f", "json", "-o", "out/report.json");
        run.ExitCode.Should().Be(ExitCodes.Clean, "the relative policy raises fail-on to critical; stderr: " + run.Stderr);
        File.ReadAllText(_dir.File("out/report.json")).Should().Contain("\"evil.bin\"");
        File.Exists(Path.GetFullPath("out/report.json")).Should().BeFalse();
    }
}
