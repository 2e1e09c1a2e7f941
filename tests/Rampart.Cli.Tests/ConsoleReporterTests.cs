using Rampart.Cli.Reporting;
using Rampart.Core.Reporting;
using Rampart.Core.Tests.Reporting;

namespace Rampart.Cli.Tests;

public sealed class ConsoleReporterTests
{
    private static Task<string> RenderAsync(ScanReport report, bool verbose = false, bool color = false) =>
        SampleReports.RenderAsync(new ConsoleReporter(new ReporterOptions(color, verbose, ConsoleReporter.UnlimitedWidth, "/")), report);

    [Fact]
    public async Task WriteAsync_Findings_ShowSeverityRuleMessageLocationAndAdvice()
    {
        var text = await RenderAsync(SampleReports.Full());
        text.Should().Contain("MALICIOUS  models/evil.pt!/archive/data.pkl")
            .And.Contain("CRITICAL  RAMP-PKL-101 Title of RAMP-PKL-101")
            .And.Contain("the pickle calls os.system")
            .And.Contain("at: offset 0x2A (42): opcode REDUCE #3")
            .And.Contain("Why it matters: Summary of RAMP-PKL-101")
            .And.Contain("How to fix: Fix of RAMP-PKL-101")
            .And.Contain("Docs: https://example.test/docs/rules/RAMP-PKL-101.md")
            .And.Contain("INCONCLUSIVE  models/broken.pkl");
    }

    [Fact]
    public async Task WriteAsync_MostSevereArtifactGroupsInReportOrder()
    {
        var text = await RenderAsync(SampleReports.Full());
        text.IndexOf("INCONCLUSIVE  models/broken.pkl", StringComparison.Ordinal).Should().BeLessThan(text.IndexOf("MALICIOUS  models/evil.pt!/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WriteAsync_NotVerbose_SummarisesCleanSkippedAndSuppressed()
    {
        var text = await RenderAsync(SampleReports.Full());
        text.Should().Contain("CLEAN  1 artifact(s) with no findings (--verbose lists them)")
            .And.Contain("SKIPPED  1 artifact(s)")
            .And.Contain("SUPPRESSED  1 finding(s) accepted by the policy")
            .And.NotContain("README.md").And.NotContain("mylib is our own package");
    }

    [Fact]
    public async Task WriteAsync_Verbose_ListsCleanSkippedAndSuppressed()
    {
        var text = await RenderAsync(SampleReports.Full(), verbose: true);
        text.Should().Contain("models/good.pt (zip)").And.Contain("models/README.md (not a model format)")
            .And.Contain("justification: mylib is our own package, until 2027-01-31");
    }

    [Fact]
    public async Task WriteAsync_Warnings_AreShown()
    {
        (await RenderAsync(SampleReports.Full())).Should().Contain("warning: suppression of RAMP-PKL-9* (old) expired");
    }

    [Fact]
    public async Task WriteAsync_SummaryLine_CountsVerdictsAndExplainsExitCode()
    {
        var text = await RenderAsync(SampleReports.Full());
        text.TrimEnd().Split('\n')[^1].Should().Be(
            "Verdict: MALICIOUS (2 malicious, 1 inconclusive, 0 needs review, 1 clean, 1 skipped). Exit 1: at least one finding at or above 'medium'.");
    }

    [Fact]
    public async Task WriteAsync_CleanReport_SaysExitZero()
    {
        var text = await RenderAsync(SampleReports.Clean());
        text.Should().Contain("Verdict: CLEAN").And.Contain("Exit 0: no finding at or above 'medium'");
    }

    [Fact]
    public async Task WriteAsync_RuleSeenTwice_ExplainedOnce()
    {
        var report = SampleReports.Full() with
        {
            Findings = [SampleReports.MemberFinding, SampleReports.MemberFinding with { ArtifactPath = "models/evil.pt" }],
        };
        var text = await RenderAsync(report);
        text.Split("Why it matters: Summary of RAMP-PKL-101").Should().HaveCount(2);
        text.Split("Docs: https://example.test/docs/rules/RAMP-PKL-101.md").Should().HaveCount(3);
    }

    [Fact]
    public async Task WriteAsync_HostileTextWithEscapesAndMarkup_IsNeutralised()
    {
        var hostile = SampleReports.MemberFinding with { Message = "global \u001b[2J[red]x[/] \u0007 bell" };
        var text = await RenderAsync(SampleReports.Full() with { Findings = [hostile] }, color: true);
        text.Should().Contain("\\u001B[2J[red]x[/] \\u0007 bell");
        text.Should().NotContain("\u001b[2J").And.NotContain("\u0007");
    }

    [Fact]
    public async Task WriteAsync_Colour_OnlyWhenAsked()
    {
        (await RenderAsync(SampleReports.Full(), color: true)).Should().Contain("\u001b[");
        (await RenderAsync(SampleReports.Full(), color: false)).Should().NotContain("\u001b[");
    }

    [Fact]
    public async Task WriteAsync_ArtifactTable_OneRowPerScannedArtifactWithFormatsVerdictAndCount()
    {
        var report = SampleReports.Full();

        var text = await RenderAsync(report);

        var lines = text.Split('\n');
        var header = lines.Single(l => l.Contains("Artifact", StringComparison.Ordinal) && l.Contains("Format(s)", StringComparison.Ordinal));
        header.Should().Contain("Verdict").And.Contain("Findings");
        foreach (var artifact in report.Artifacts.Where(a => a.Status == ArtifactStatus.Scanned))
        {
            var row = lines.First(l => l.TrimStart().StartsWith(artifact.Path + " ", StringComparison.Ordinal));
            row.Should().Contain(string.Join(", ", artifact.Formats));
            var count = report.Findings.Count(f => f.ArtifactPath == artifact.Path);
            row.TrimEnd().Should().EndWith(" " + count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        lines.Should().NotContain(l => l.TrimStart().StartsWith("models/README.md ", StringComparison.Ordinal), "skipped artifacts are only counted");
    }

    [Fact]
    public async Task WriteAsync_ManyArtifacts_TableCappedWithoutVerbose()
    {
        var report = SampleReports.Full();
        var many = report with
        {
            Artifacts = [.. Enumerable.Range(0, ConsoleReporter.MaxTableRows + 7).Select(i => report.Artifacts[0] with { Path = $"many/{i}.pkl" })],
        };

        var text = await RenderAsync(many);

        text.Should().Contain("... and 7 more artifact(s)");
        (await RenderAsync(many, verbose: true)).Should().NotContain("more artifact(s)");
    }
}
