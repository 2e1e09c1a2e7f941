using System.Text.RegularExpressions;
using Rampart.Core;
using Rampart.Core.Reporting.Html;
using Rampart.Cli.Tests.Shipping;
using Rampart.Core.Tests.Reporting;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>
/// `--format html`: one self-contained page (no script, no fetched resource), every report string HTML-encoded, the
/// findings explained; checked by tidy (an HTML validator) and rendered by Debian's chromium with JavaScript off.
/// </summary>
public sealed partial class HtmlReportTests : IDisposable
{
    /// <summary>Names and strings a hostile model can choose, each of which would be markup if written raw.</summary>
    public static TheoryData<string> HostileStrings() =>
    [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "'><svg onload=alert(1)>",
        "</td></tr></table><iframe src=//evil.example>",
        "&lt;already-encoded&gt; & <b>bold</b>",
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [GeneratedRegex(@"<\s*(script|img|svg|iframe|b|link|object|embed|base)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ActiveTag();

    [GeneratedRegex(@"<[^>]*\s(src|srcset|data|action|formaction|background|poster|on[a-z]+)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex FetchingAttribute();

    /// <summary>A CSS or SVG <c>url(...)</c> that is not a reference inside the page (the threat diagram's arrow heads are
    /// <c>marker-end="url(#arrow)"</c>, which fetches nothing).</summary>
    [GeneratedRegex(@"url\(\s*(?!['""]?#)", RegexOptions.IgnoreCase)]
    private static partial Regex OutsideUrl();

    private static void ShouldBeInert(string html)
    {
        ActiveTag().Matches(html).Should().BeEmpty("no markup from the report may become an element");
        FetchingAttribute().Matches(html).Should().BeEmpty("the page fetches nothing");
        html.Should().NotContain("@import").And.NotContain("url(").And.NotContain("<script", "the page needs no JavaScript");
        html.Should().Contain("default-src 'none'");
    }

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public async Task Scan_HostileGlobalNameInAPickle_IsEncodedNotMarkup(string hostile)
    {
        var path = _dir.File("model.pkl");
        await File.WriteAllBytesAsync(path, PickleBuilder.CallPickle(hostile, hostile, hostile));

        var run = await CliRunner.RunAsync(["scan", path, "--format", "html"]);

        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        ShouldBeInert(run.Stdout);
        run.Stdout.Should().Contain(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(hostile), "the name is shown, as text");
    }

    [Theory]
    [InlineData("<script>alert(1)<")]
    [InlineData("x\"onmouseover=alert(1) y")]
    [InlineData("a'b&c")]
    public async Task Scan_HostileFileName_IsEncodedNotMarkup(string name)
    {
        var folder = Directory.CreateDirectory(_dir.File("models")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, name.Replace('/', '_') + ".pt"), "not a model"u8.ToArray());

        var run = await CliRunner.RunAsync(["scan", folder, "--format", "html"]);

        run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stderr);
        ShouldBeInert(run.Stdout);
        run.Stdout.Should().NotContain(name, "the raw name would be markup or break an attribute");
    }

    [Fact]
    public void Render_FullReport_HasVerdictCountsArtifactsFiltersFindingsExplanationsAndFacts()
    {
        var report = SampleReports.Full();
        var html = HtmlReporter.Render(report);

        html.Should().StartWith("<!DOCTYPE html>").And.Contain($"Verdict: <strong>{report.Verdict.ToWire().ToUpperInvariant()}</strong>")
            .And.Contain($"exit {report.ExitCode}");
        foreach (var artifact in report.Artifacts)
        {
            html.Should().Contain(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(artifact.Path));
            foreach (var (key, _) in artifact.Facts)
            {
                html.Should().Contain($"<dt>{System.Text.Encodings.Web.HtmlEncoder.Default.Encode(key)}</dt>");
            }
        }

        foreach (var finding in report.Findings)
        {
            var rule = report.Rules[finding.RuleId];
            html.Should().Contain(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(rule.Summary)).And.Contain(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(rule.Fix))
                .And.Contain(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(report.Tool.RuleHelpUri(finding.RuleId).AbsoluteUri));
        }

        html.Should().Contain("id=\"f-malicious\"").And.Contain("#f-malicious:checked ~ table .row:not(.v-malicious)").And.Contain("@media print");
        html.Should().Contain("Suppressed by the policy");
        ShouldBeInert(html);
    }

    [Fact]
    public async Task Audit_Review_AcceptHtml()
    {
        var manifest = _dir.File("requirements.txt");
        await File.WriteAllTextAsync(manifest, "requests==2.31.0\n");

        var run = await CliRunner.RunAsync(["audit", manifest, "--no-advisories", "--format", "html"]);

        run.Stdout.Should().StartWith("<!DOCTYPE html>", run.Stderr);
        run.Stdout.Should().Contain("requirements.txt");
        (await CliRunner.RunAsync(["review", "--help"])).Stdout.Should().Contain("html");
    }

    /// <summary>tidy (HTML Tidy, an HTML5 validator) reports no errors and no warnings for a report with hostile strings.</summary>
    [Fact]
    public async Task Html_PassesTidyWithoutWarnings()
    {
        if (!File.Exists("/usr/bin/tidy"))
        {
            Console.WriteLine("SKIPPED: /usr/bin/tidy is not installed (apt-get install tidy)");
            return;
        }

        var page = await WriteHostileReportAsync();
        var (code, output) = await ShippedRampart.RunAsync("/usr/bin/tidy", ["-errors", "-quiet", "--show-warnings", "yes", page]);

        output.Should().BeEmpty();
        code.Should().Be(0, output);
    }

    /// <summary>
    /// Debian's chromium renders the page headless (screenshot kept under the test output's artifacts/ folder) and
    /// prints it to PDF. The page runs no script there: it has none, and its Content-Security-Policy (default-src
    /// 'none') would block one. (Chromium's scriptEnabled=false setting also stops its own screenshot capture.)
    /// </summary>
    [Fact]
    public async Task Html_RendersInChromiumAndPrints()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            Console.WriteLine("SKIPPED: /usr/bin/chromium is not installed (apt-get install chromium)");
            return;
        }

        var page = await WriteHostileReportAsync();
        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        var png = Path.Combine(artifacts, "html-report.png");
        var pdf = Path.Combine(artifacts, "html-report.pdf");
        File.Delete(png);
        File.Delete(pdf);
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", $"--user-data-dir={_dir.File("chromium-profile")}"];

        var (code, output) = await ShippedRampart.RunAsync("/usr/bin/chromium", [.. common, $"--screenshot={png}", "--window-size=1280,1600", new Uri(page).AbsoluteUri]);
        code.Should().Be(0, output);
        var (pdfCode, pdfOutput) = await ShippedRampart.RunAsync("/usr/bin/chromium", [.. common, $"--print-to-pdf={pdf}", "--no-pdf-header-footer", new Uri(page).AbsoluteUri]);
        pdfCode.Should().Be(0, pdfOutput);

        var bytes = await File.ReadAllBytesAsync(png);
        bytes.AsSpan(0, 8).ToArray().Should().Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        bytes.Length.Should().BeGreaterThan(20_000, "a rendered page, not a blank one");
        (await File.ReadAllBytesAsync(pdf)).AsSpan(0, 5).ToArray().Should().Equal("%PDF-"u8.ToArray());
        Console.WriteLine($"chromium screenshot: {png}; printed: {pdf}");
    }

    /// <summary>
    /// The scan, red-team and threat-model pages are one shell (Core's HtmlPage): each declares the same
    /// Content-Security-Policy once, in its head before anything else can load, and carries the print styles.
    /// </summary>
    [Fact]
    public async Task EveryHtmlReport_CarriesTheSharedShellAndItsContentSecurityPolicy()
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["scan"] = await File.ReadAllTextAsync(await WriteHostileReportAsync()),
            ["redteam"] = Rampart.RedTeam.Reports.RedTeamHtml.Render(HostileRedTeamReport(), Severity.High),
        };
        if (await CliRunner.SkipReasonAsync("threats") is { } skip)
        {
            Console.WriteLine(skip);
        }
        else
        {
            var system = Path.Combine(RepositoryPaths.Root, "examples", "threats", "fraud-model-api", "system.yaml");
            var page = _dir.File("threats.html");
            var run = await CliRunner.RunAsync(["threats", "report", system, "--format", "html", "--output", page]);
            run.ExitCode.Should().BeOneOf([ExitCodes.Clean, ExitCodes.Findings], run.Stderr);
            pages["threats"] = await File.ReadAllTextAsync(page);
        }

        var policy = $"<meta http-equiv=\"Content-Security-Policy\" content=\"{HtmlPage.ContentSecurityPolicy}\">";
        foreach (var (name, html) in pages)
        {
            html.Should().StartWith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" + policy, name);
            Regex.Count(html, "Content-Security-Policy").Should().Be(1, $"{name}: one policy, in the head");
            html.Should().Contain("@media print", name).And.EndWith("</body>\n</html>\n", name);
            html.Should().NotContain("<script", name).And.NotContain("@import", name);
            OutsideUrl().Matches(html).Should().BeEmpty($"{name} fetches nothing through url()");
            FetchingAttribute().Matches(html).Should().BeEmpty($"{name} fetches nothing");
        }

        pages["scan"].Should().Contain("&lt;script&gt;alert(1)&lt;/script&gt;");
        pages["redteam"].Should().Contain("&lt;script&gt;alert(1)&lt;/script&gt;", "the shared encoder");
    }

    private static Rampart.RedTeam.Reports.RedTeamReport HostileRedTeamReport()
    {
        const string hostile = "<script>alert(1)</script>";
        var run = new Rampart.RedTeam.Reports.RunSection(hostile, "http://127.0.0.1:1/", 1, TimeSpan.FromSeconds(1), [], [],
            [new Rampart.RedTeam.Reports.RedTeamFinding("RAMP-RT-001", Severity.High, hostile, "pi.ignore-previous", hostile)], [hostile], Partial: false);
        return new Rampart.RedTeam.Reports.RedTeamReport(Rampart.Scanning.RampartTool.Info, "llm", new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero), 1, [run]);
    }

    private async Task<string> WriteHostileReportAsync()
    {
        var folder = Directory.CreateDirectory(_dir.File("page")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(folder, "model.pkl"), PickleBuilder.CallPickle("<script>alert(1)</script>", "\"><img src=x>", "touch /tmp/x"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "<b>weights<b>.pt"), "not a model"u8.ToArray());
        await File.WriteAllTextAsync(Path.Combine(folder, "README.md"), "# readme");
        var page = _dir.File("report.html");
        var run = await CliRunner.RunAsync(["scan", folder, "--format", "html", "--output", page]);
        run.ExitCode.Should().Be(ExitCodes.Findings, run.Stderr);
        return page;
    }
}
