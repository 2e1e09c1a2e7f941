using System.Diagnostics;
using System.Text;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Engine;

public sealed class ScannerTests
{
    private static Scanner ScannerWith(params IArtifactAnalyzer[] extra) =>
        new(AnalyzerRegistry.CreateAll().Concat(extra), AnalyzerRegistry.Rules, RampartTool.Info);

    [Fact]
    public async Task ScanAsync_ModelNamedFileWithUnknownContent_IsInconclusive()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("weights.pt"), "no known format here");

        var report = await ScannerWith().ScanAsync([temp.Path], ScanPolicy.Default);

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.UnrecognizedModelFile);
        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.ExitCode.Should().Be(ExitCodes.Inconclusive);
    }

    [Fact]
    public async Task FromFileAsync_NameWithHashAndBang_KeepsTheRealFileName()
    {
        using var temp = new TempDirectory();
        var path = temp.File("model#1!x.pt");
        File.WriteAllBytes(path, new byte[200_000]);
        File.WriteAllBytes(temp.File("small#2.pt"), [1, 2, 3]);

        var large = await ArtifactFactory.FromFileAsync(path, "model#1!x.pt", CancellationToken.None);
        var small = await ArtifactFactory.FromFileAsync(temp.File("small#2.pt"), "small#2.pt", CancellationToken.None);

        large.Name.Should().Be("model#1!x.pt");
        small.Name.Should().Be("small#2.pt");
        small.HeadIsComplete.Should().BeTrue();
        await using var stream = await small.OpenAsync(CancellationToken.None);
        stream.Length.Should().Be(3);
    }

    [Fact]
    public async Task ScanAsync_OrdinaryTextFile_IsSkippedAndClean()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("README.md"), "# model card");

        var report = await ScannerWith().ScanAsync([temp.Path], ScanPolicy.Default);

        report.Artifacts.Should().ContainSingle().Which.Status.Should().Be(ArtifactStatus.Skipped);
        report.Findings.Should().BeEmpty();
        report.ExitCode.Should().Be(ExitCodes.Clean);
    }

    [Fact]
    public async Task ScanAsync_MissingPath_ThrowsTargetException()
    {
        var act = () => ScannerWith().ScanAsync(["/nonexistent/rampart/path"], ScanPolicy.Default);

        await act.Should().ThrowAsync<ScanTargetException>().WithMessage("*does not exist*");
    }

    [LinuxFact]
    public async Task ScanAsync_FifoInFolder_IsReportedWithoutBlocking()
    {
        using var temp = new TempDirectory();
        var fifo = temp.File("pipe.pkl");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            mkfifo.ExitCode.Should().Be(0);
        }

        var report = await ScannerWith().ScanAsync([temp.Path], ScanPolicy.Default).WaitAsync(TimeSpan.FromSeconds(60));

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.Unreadable).Which.Message.Should().Contain("Fifo");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task ScanAsync_AnalyzerThrows_ReportsAnalyzerFailureInsteadOfCrashing()
    {
        var report = await ScanBytes(ScannerWith(new TestAnalyzers.ThrowingAnalyzer()), TestAnalyzers.ThrowingAnalyzer.Magic);

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.AnalyzerFailure).Subject;
        finding.Message.Should().Contain("deliberate failure").And.Contain("test-throwing");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task ScanAsync_AnalyzerHitsLimit_ReportsLimitByName()
    {
        var report = await ScanBytes(ScannerWith(new TestAnalyzers.LimitAnalyzer()), TestAnalyzers.LimitAnalyzer.Magic);

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.LimitReached).Subject;
        finding.Property("limit").Should().Be("max-test-units");
        report.ExitCode.Should().Be(ExitCodes.Inconclusive);
    }

    [Fact]
    public async Task ScanAsync_EndlessNesting_StopsAtMaxDepth()
    {
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxDepth = 3 } };

        var report = await ScanBytes(ScannerWith(new TestAnalyzers.RecursiveAnalyzer()), TestAnalyzers.RecursiveAnalyzer.Magic, policy);

        report.Artifacts.Should().HaveCount(4, "depths 0..3 are analysed and depth 4 is refused");
        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.LimitReached).Which.Message.Should().Contain("max-depth");
        report.Artifacts[0].Verdict.Should().Be(Verdict.Inconclusive, "a child's verdict folds into its parents");
    }

    [Fact]
    public async Task ScanAsync_AnalyzerNeverFinishes_StopsAtTimeLimit()
    {
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { TimePerFile = TimeSpan.FromMilliseconds(300) } };

        var report = await ScanBytes(ScannerWith(new TestAnalyzers.HangingAnalyzer()), TestAnalyzers.HangingAnalyzer.Magic, policy)
            .WaitAsync(TimeSpan.FromSeconds(60));

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.LimitReached).Which.Message.Should().Contain("time-per-file");
    }

    [Fact]
    public async Task ScanAsync_SuppressedFinding_DoesNotCountButIsKeptForAudit()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("weights.pt"), "no known format here");
        var policy = ScanPolicy.Default with
        {
            Suppressions = [new Suppression("RAMP-GEN-*", "**/weights.pt", null, "known export format, reviewed in TICKET-1", null)],
        };

        var report = await ScannerWith().ScanAsync([temp.Path], policy);

        report.Findings.Should().BeEmpty();
        report.Suppressed.Should().ContainSingle().Which.Justification.Should().Contain("TICKET-1");
        report.ExitCode.Should().Be(ExitCodes.Clean);
    }

    [Fact]
    public async Task ScanAsync_ExpiredSuppression_NoLongerAppliesAndWarns()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("weights.pt"), "no known format here");
        var policy = ScanPolicy.Default with
        {
            Suppressions = [new Suppression("RAMP-GEN-003", null, null, "temporary", new DateOnly(2020, 1, 1))],
        };

        var report = await ScannerWith().ScanAsync([temp.Path], policy);

        report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.UnrecognizedModelFile);
        report.Warnings.Should().ContainSingle().Which.Should().Contain("expired on 2020-01-01");
    }

    [Fact]
    public async Task ScanAsync_Folder_ListsFilesInStableOrder()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("b"));
        File.WriteAllText(temp.File("b/z.txt"), "z");
        File.WriteAllText(temp.File("a.txt"), "a");
        File.WriteAllText(temp.File("b/a.txt"), "a");

        var report = await ScannerWith().ScanAsync([temp.Path], ScanPolicy.Default);

        report.Artifacts.Select(a => Path.GetRelativePath(temp.Path, a.Path)).Should().Equal("a.txt", "b/a.txt", "b/z.txt");
    }

    private static Task<ScanReport> ScanBytes(Scanner scanner, string content, ScanPolicy? policy = null) =>
        scanner.ScanArtifactAsync(ArtifactFactory.FromBytes("test.bin", null, 0, Encoding.ASCII.GetBytes(content)), policy ?? ScanPolicy.Default);
}

/// <summary>A fact that needs Linux (mkfifo, statx); reported as skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (mkfifo and statx)";
        }
    }
}
