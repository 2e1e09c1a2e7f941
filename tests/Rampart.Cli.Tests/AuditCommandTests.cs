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

    [Theory]
    [InlineData("accesscontrol>=5.0,==5.1\n")]
    [InlineData("accesscontrol==5.1,!=5.0\n")]
    [InlineData("accesscontrol===5.1\n")]
    [InlineData("accesscontrol==5.1,<6\n")]
    public async Task Audit_MultiClausePin_AdvisoryReported(string requirements)
    {
        var run = await CliRunner.RunAsync(["audit", Project(requirements), "--db", Database(), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stdout);
        run.Stdout.Should().Contain("GHSA-test-0001");
    }

    [Theory]
    [InlineData("accesscontrol==5.1 ; python_version <\n", 3)]
    [InlineData("accesscontrol==5.1 --frobnicate\n", 3)]
    [InlineData("accesscontrol==5.1,<5\n", 3)]
    [InlineData("accesscontrol==${RAMPART_TEST_UNSET_VARIABLE}\n", 3)]
    public async Task Audit_BadRequirementLine_InconclusiveWithLocationLine_AndNotAudited(string line, int number)
    {
        var run = await CliRunner.RunAsync(["audit", Project("\ufeff# pins\nnumpy==1.26.4\n" + line), "--db", Database(), "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stdout);
        using var report = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var finding = report.RootElement.GetProperty("findings").EnumerateArray().Should().ContainSingle(f => f.GetProperty("ruleId").GetString() == "RAMP-GEN-001").Which;
        finding.GetProperty("location").GetProperty("line").GetInt32().Should().Be(number);
        run.Stdout.Should().NotContain("GHSA-test-0001", "a line that cannot be read is never audited as if it applied");
    }

    [Fact]
    public async Task Audit_BrokenLockfile_LineInLocation()
    {
        var project = Directory.CreateDirectory(Path.Combine(_temp.Path, "lock")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pipfile.lock"), "{\n  \"default\": {\n    \"numpy\": {\"version\": ==1.0}\n  }\n}\n");
        var run = await CliRunner.RunAsync(["audit", project, "--no-advisories", "--format", "json"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stdout);
        using var report = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var finding = report.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("ruleId").GetString() == "RAMP-GEN-001");
        finding.GetProperty("location").GetProperty("line").GetInt32().Should().Be(3);
        finding.GetProperty("message").GetString().Should().Contain("at line 3, column").And.NotContain("LineNumber");
    }

    [Fact]
    public async Task Audit_DebianRootFs_FileChangedByTheDistribution_NotTampered_ButAChangedOneIs()
    {
        var root = Path.Combine(_temp.Path, "rootfs");
        var site = Path.Combine(root, "usr", "lib", "python3", "dist-packages");
        var info = Directory.CreateDirectory(Path.Combine(site, "demo-1.0.dist-info")).FullName;
        Directory.CreateDirectory(Path.Combine(site, "demo"));
        var dpkg = Directory.CreateDirectory(Path.Combine(root, "var", "lib", "dpkg", "info")).FullName;
        var wheel = "#!/usr/bin/python\nVALUE = 1\n"u8.ToArray();
        var debian = "#!/usr/bin/python3\nVALUE = 1\n"u8.ToArray();
        var other = "x = 1\n"u8.ToArray();
        await File.WriteAllBytesAsync(Path.Combine(site, "demo", "__init__.py"), debian);
        await File.WriteAllTextAsync(Path.Combine(site, "demo", "other.py"), "x = 2\n");
        await File.WriteAllTextAsync(Path.Combine(info, "METADATA"), "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n");
        await File.WriteAllTextAsync(Path.Combine(info, "RECORD"),
            $"demo/__init__.py,{DependencyFixtures.RecordHash(wheel)},{wheel.Length}\ndemo/other.py,{DependencyFixtures.RecordHash(other)},{other.Length}\n");
#pragma warning disable CA5351 // dpkg records MD5 sums
        static string Md5(byte[] b) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(b));
#pragma warning restore CA5351
        await File.WriteAllTextAsync(Path.Combine(dpkg, "python3-demo.md5sums"),
            $"{Md5(debian)}  usr/lib/python3/dist-packages/demo/__init__.py\n{Md5(other)}  usr/lib/python3/dist-packages/demo/other.py\n");
        var run = await CliRunner.RunAsync(["audit", root, "--no-advisories", "--format", "json"]);
        using var report = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var tampered = report.RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("ruleId").GetString() == "RAMP-DEP-003").ToList();
        tampered.Should().ContainSingle().Which.GetProperty("message").GetString().Should().Contain("demo/other.py").And.Contain("python3-demo");
        run.Stdout.Should().Contain("\"python-environment.files_verified_by_dpkg\": \"1\"").And.Contain("\"python-environment.dpkg_packages\": \"python3-demo\"");
    }

    [Fact]
    public async Task Audit_DbWithNoAdvisories_UsageError()
    {
        var run = await CliRunner.RunAsync(["audit", Project("numpy\n"), "--no-advisories", "--db", "x.db"]);
        run.ExitCode.Should().Be(ExitCodes.UsageError);
    }

    private const string MarkedRequirements = "accesscontrol==5.1 ; sys_platform == \"win32\"\nevil-ml-helper==0.1 ; python_version < \"3.9\"\nnumpy==1.26.4\n";

    [Theory]
    [InlineData(null, true, true)]
    [InlineData("sys_platform=linux", false, true)]
    [InlineData("sys_platform=win32", true, true)]
    [InlineData("python_version=3.11,sys_platform=linux", false, false)]
    [InlineData("python_full_version=3.8.10,sys_platform=win32", true, true)]
    [InlineData("python_version=3.12 sys_platform=linux", false, false)]
    public async Task Audit_TargetOnTheCommandLine_DecidesWhichMarkedPinsAreChecked(string? target, bool accessControlChecked, bool evilChecked)
    {
        string[] args = ["audit", Project(MarkedRequirements), "--db", Database(), "--format", "json"];
        if (target is not null)
        {
            // Several assignments in one --target (comma-separated) or one --target each.
            args = [.. args, .. target.Split(' ').SelectMany(t => new[] { "--target", t })];
        }

        var run = await CliRunner.RunAsync(args);

        run.Stderr.Should().BeEmpty();
        using var report = System.Text.Json.JsonDocument.Parse(run.Stdout);
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        string Rule(System.Text.Json.JsonElement f) => f.GetProperty("ruleId").GetString()!;
        string Message(System.Text.Json.JsonElement f) => f.GetProperty("message").GetString()!;
        findings.Any(f => Rule(f) == "RAMP-DEP-001" && Message(f).Contains("GHSA-test-0001", StringComparison.Ordinal)).Should().Be(accessControlChecked, run.Stdout);
        findings.Any(f => Rule(f) == "RAMP-DEP-002").Should().Be(evilChecked, run.Stdout);
        var notForTarget = findings.Where(f => Rule(f) == "RAMP-DEP-012").Select(Message).ToList();
        if (!accessControlChecked)
        {
            notForTarget.Should().ContainSingle(m => m.Contains("accesscontrol", StringComparison.OrdinalIgnoreCase), "a pin ruled out is listed, not skipped silently");
        }

        run.ExitCode.Should().Be(accessControlChecked || evilChecked ? ExitCodes.Findings : ExitCodes.Clean, "a pin ruled out is listed at severity info");
    }

    [Fact]
    public async Task Audit_TargetOnTheCommandLine_ReplacesThePolicysTarget()
    {
        var policy = Path.Combine(_temp.Path, "rampart.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\ndependencies:\n  target:\n    sys_platform: win32\n    python_version: \"3.8\"\n");
        var project = Project(MarkedRequirements);
        var db = Database();

        var byPolicy = await CliRunner.RunAsync(["audit", project, "--db", db, "--format", "json", "--policy", policy]);
        var byCli = await CliRunner.RunAsync(["audit", project, "--db", db, "--format", "json", "--policy", policy, "--target", "sys_platform=linux"]);

        byPolicy.Stdout.Should().Contain("GHSA-test-0001").And.Contain("MAL-2026-0001");
        byCli.Stdout.Should().NotContain("GHSA-test-0001", "the command line's sys_platform wins");
        byCli.Stdout.Should().Contain("MAL-2026-0001", "python_version is open again: the command line's target replaces the policy's as a whole");
    }

    [Theory]
    [InlineData("python_version", "is not NAME=VALUE")]
    [InlineData("=3.11", "is not NAME=VALUE")]
    [InlineData("pyversion=3.11", "'pyversion' is not a PEP 508 marker variable")]
    [InlineData("sys.platform=linux", "'sys.platform' is not a PEP 508 marker variable")]
    [InlineData("sys_platform=", "'sys_platform' has no value")]
    [InlineData("python_version=three", "'three' is not a version")]
    [InlineData("python_full_version=3.11.x", "'3.11.x' is not a version")]
    [InlineData("sys_platform=linux,,python_version=3.11", "empty assignment")]
    [InlineData("sys_platform=linux,sys_platform=win32", "sys_platform is given twice")]
    public async Task Audit_BadTarget_UsageErrorWithAClearMessage(string target, string message)
    {
        var run = await CliRunner.RunAsync(["audit", Project(MarkedRequirements), "--no-advisories", "--target", target]);

        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("--target").And.Contain(message).And.NotContain("   at ").And.NotContain("Exception");
        run.Stdout.Should().BeEmpty("nothing is audited with a target that could not be read");
    }
}
