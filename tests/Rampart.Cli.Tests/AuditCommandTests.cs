using Rampart.Core;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Cli.Tests;

public sealed class AuditCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Database()
    {
        var advisories = Path.Combine(_temp.Path, "advisories");
        DependencyFixtures.WriteAdvisories(advisories);
        var db = Path.Combine(_temp.Path, "osv.db");
        Dependencies.Osv.OsvDatabase.Import(advisories, db, TimeProvider.System, CancellationToken.None);
        return db;
    }

    private string Project(string requirements)
    {
        var project = Directory.CreateDirectory(Path.Combine(_temp.Path, "project")).FullName;
        File.WriteAllText(Path.Combine(project, "requirements.txt"), requirements);
        File.WriteAllText(Path.Combine(project, "weights.pt"), "not a model at all");
        return project;
    }

    [Fact]
    public async Task Audit_MaliciousAndVulnerablePins_ExitsOneWithBothAdvisoriesInJson()
    {
        var run = await CliRunner.RunAsync(["audit", Project(DependencyFixtures.VulnerableRequirements), "--db", Database(), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Findings);
        run.Stdout.Should().Contain("RAMP-DEP-001").And.Contain("GHSA-test-0001").And.Contain("RAMP-DEP-002").And.Contain("MAL-2026-0001");
        run.Stdout.Should().NotContain("RAMP-GEN-003", "audit judges dependencies, not model files");
    }

    [Fact]
    public async Task Audit_NoDatabase_InconclusiveExitTwoSaysNotChecked()
    {
        var run = await CliRunner.RunAsync(["audit", Project("numpy==1.26.4\n"), "--db", Path.Combine(_temp.Path, "missing.db")]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stdout.Should().Contain("RAMP-DEP-011").And.Contain("rampart db import");
    }

    [Fact]
    public async Task Audit_NoAdvisories_CleanProjectExitsZero()
    {
        var run = await CliRunner.RunAsync(["audit", Project("numpy==1.26.4\n"), "--no-advisories"]);
        run.ExitCode.Should().Be(ExitCodes.Clean, run.Stdout);
    }

    [Fact]
    public async Task Audit_SarifFormat_RuleIdsInRun()
    {
        var run = await CliRunner.RunAsync(["audit", Project("torchh==1.0\n"), "--no-advisories", "--format", "sarif"]);
        run.ExitCode.Should().Be(ExitCodes.Findings);
        run.Stdout.Should().Contain("\"ruleId\": \"RAMP-DEP-008\"");
    }

    [Fact]
    public async Task Audit_PolicyInternalPackage_ConfusionReported()
    {
        var policy = Path.Combine(_temp.Path, "rampart.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\ndependencies:\n  internal-packages: [acme-*]\n  require-pins: []\n");
        var run = await CliRunner.RunAsync(["audit", Project("acme-features\n"), "--no-advisories", "--policy", policy]);
        run.Stdout.Should().Contain("RAMP-DEP-009");
        run.ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Audit_BadPolicyKey_UsageError()
    {
        var policy = Path.Combine(_temp.Path, "rampart.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\ndependencies:\n  internal-pakages: [acme-*]\n");
        var run = await CliRunner.RunAsync(["audit", Project("numpy\n"), "--policy", policy]);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("internal-pakages");
    }

    [Fact]
    public async Task Audit_DbWithNoAdvisories_UsageError()
    {
        var run = await CliRunner.RunAsync(["audit", Project("numpy\n"), "--no-advisories", "--db", "x.db"]);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
    }
}
