using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Dependencies;

public sealed class DependencyAnalyzerTests
{
    private static async Task<Core.Reporting.ScanReport> ScanFixtureAsync(string id, TempDirectory temp)
    {
        var fixture = FixtureCatalog.Get(id);
        var path = fixture.Materialize(temp.Path);
        var scanner = new Scanner(AnalyzerRegistry.CreateAll(), AnalyzerRegistry.Rules, RampartTool.Info)
        {
            FolderAnalyzers = AnalyzerRegistry.CreateFolderAnalyzers(),
        };
        return await scanner.ScanAsync([path], fixture.Policy?.Invoke(temp.Path) ?? ScanPolicy.Default);
    }

    [Fact]
    public async Task Scan_VulnerableRequirements_AdvisoryAndMaliciousPackageFromDatabase()
    {
        using var temp = new TempDirectory();
        var report = await ScanFixtureAsync("dependencies/requirements-vulnerable", temp);
        var vuln = report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-DEP-001").Which;
        vuln.Property("name").Should().Be("GHSA-test-0001");
        vuln.Property("fixed").Should().Be("5.2");
        vuln.Severity.Should().Be(Severity.High);
        vuln.Message.Should().Contain("CVE-2021-32807");
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-DEP-002").Which.Severity.Should().Be(Severity.Critical);
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Scan_SuppressedAdvisory_NotCounted()
    {
        using var temp = new TempDirectory();
        var fixture = FixtureCatalog.Get("dependencies/requirements-vulnerable");
        var path = fixture.Materialize(temp.Path);
        var policy = fixture.Policy!(temp.Path) with
        {
            Suppressions = [new Suppression("RAMP-DEP-001", null, "GHSA-test-0001", "not reachable in our use", new DateOnly(2099, 1, 1))],
        };
        var report = await Scanner.CreateDefault().ScanAsync([path], policy);
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-DEP-001");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-DEP-002");
    }

    [Fact]
    public async Task Scan_TamperedSitePackages_ReportsExactlyTheChanges()
    {
        using var temp = new TempDirectory();
        var report = await ScanFixtureAsync("dependencies/site-packages-tampered", temp);
        var found = report.Findings.Where(f => f.RuleId.StartsWith("RAMP-DEP-", StringComparison.Ordinal))
            .Select(f => $"{f.RuleId} {f.Property("name")}").Order(StringComparer.Ordinal).ToList();
        found.Should().Equal(
            "RAMP-DEP-003 goodpkg/__init__.py",
            "RAMP-DEP-004 goodpkg/gone.py",
            "RAMP-DEP-005 goodpkg/backdoor.py",
            "RAMP-DEP-006 zz_hook.pth",
            "RAMP-DEP-007 localpkg-2.0.dist-info");
        report.Findings.Single(f => f.RuleId == "RAMP-DEP-006").Location.Line.Should().Be(3);
    }

    [Fact]
    public async Task Scan_CleanSitePackages_NoFindings()
    {
        using var temp = new TempDirectory();
        var report = await ScanFixtureAsync("dependencies/site-packages-clean", temp);
        report.Findings.Should().BeEmpty();
        report.Verdict.Should().Be(Verdict.Clean);
    }

    [Fact]
    public async Task Scan_NoDatabase_InconclusiveNotClean()
    {
        using var temp = new TempDirectory();
        var report = await ScanFixtureAsync("dependencies/requirements-pinned-no-database", temp);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-DEP-011", string.Join(" / ", report.Findings.Select(f => f.Message))).Which.Message.Should().Contain("rampart db import");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_RequirementsNamedFileWithBinaryContent_NotClaimed()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "requirements.txt");
        await File.WriteAllBytesAsync(path, [0x80, 0x02, 0x00, 0x01]);
        var report = await Scanner.CreateDefault().ScanAsync([path], ScanPolicy.Default with { Advisories = AdvisoryMode.Off });
        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-DEP-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scan_MalformedLockfile_InconclusiveWithLineAndColumn()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "poetry.lock");
        await File.WriteAllTextAsync(path, "[[package]]\nname = \"numpy\"\nversion = 1.2.3\n");
        var report = await Scanner.CreateDefault().ScanAsync([path], ScanPolicy.Default with { Advisories = AdvisoryMode.Off });
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("line 3");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_RequirementsIncludeAboveFolder_NotFollowedAndReported()
    {
        using var temp = new TempDirectory();
        var project = Directory.CreateDirectory(Path.Combine(temp.Path, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(temp.Path, "outside.txt"), "torchh\n");
        await File.WriteAllTextAsync(Path.Combine(project, "requirements.txt"), "-r ../outside.txt\nnumpy\n");
        var report = await Scanner.CreateDefault().ScanAsync([Path.Combine(project, "requirements.txt")], ScanPolicy.Default with { Advisories = AdvisoryMode.Off });
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("outside");
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-DEP-008");
    }
}
