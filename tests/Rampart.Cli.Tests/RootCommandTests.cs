using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Tests.Reporting;
using Rampart.Scanning;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

public sealed class RootCommandTests
{
    [Fact]
    public async Task Version_PrintsTheToolVersion()
    {
        var run = await CliRunner.RunAsync(["--version"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().StartWith(RampartTool.Info.Version);
    }

    [Fact]
    public void Commands_EachVerbBuildsTheCommandOfThatName_AndTheFullTreeHasThemAll()
    {
        var environment = new CliEnvironment(Stream.Null, TextWriter.Null, false, false, true, 80, Directory.GetCurrentDirectory(), TimeProvider.System);
        foreach (var (verb, _) in RampartCli.Commands)
        {
            RampartCli.BuildRoot(environment, verb).Subcommands.Should().ContainSingle().Which.Name.Should().Be(verb);
        }

        RampartCli.BuildRoot(environment).Subcommands.Select(c => c.Name).Should().BeEquivalentTo(RampartCli.Commands.Select(c => c.Verb));
    }

    /// <summary>A verb left out of a build (NativeAOT) still parses whatever follows it and answers one line, exit 2.</summary>
    [Theory]
    [InlineData("gateway")]
    [InlineData("gateway", "run", "--config", "gateway.yaml")]
    [InlineData("server", "--db", "postgres://x", "extra")]
    public async Task VerbNotInThisBuild_SaysWhereToGetIt_Exit2(params string[] args)
    {
        using var stderr = new StringWriter();
        var environment = CliRunner.Environment() with { Error = stderr };
        var root = new System.CommandLine.RootCommand { Rampart.Cli.Commands.NotInThisBuild.For(args[0], "A verb.")(environment) };

        var code = await root.Parse(args).InvokeAsync();

        code.Should().Be(ExitCodes.Inconclusive);
        stderr.ToString().Should().Be(Rampart.Cli.Commands.NotInThisBuild.Message(args[0]) + System.Environment.NewLine);
        stderr.ToString().Should().Contain("dotnet tool").And.NotContain("   at ", "one line, no stack trace");
    }

    /// <summary>Under the NativeAOT binary (RAMPART_CLI_BINARY), the verbs it leaves out answer through the real program.</summary>
    [Theory]
    [InlineData("gateway")]
    [InlineData("threats")]
    [InlineData("server")]
    public async Task Binary_LeftOutVerb_Exit2WithOneLine(string verb)
    {
        if (await CliRunner.SkipReasonAsync(verb) is null)
        {
            Console.WriteLine($"SKIPPED: '{verb}' is in the build under test (in-process, or a full build)");
            return;
        }

        var run = await CliRunner.RunAsync([verb, "run", "--config", "x.yaml"]);
        run.ExitCode.Should().Be(ExitCodes.Inconclusive);
        run.Stderr.Trim().Should().Be(Rampart.Cli.Commands.NotInThisBuild.Message(verb));
        (await CliRunner.RunAsync(["--help"])).Stdout.Should().Contain("(not in the NativeAOT build)");
    }

    [Fact]
    public async Task RootHelp_ListsEveryCommand()
    {
        var run = await CliRunner.RunAsync(["--help"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        foreach (var (verb, _) in RampartCli.Commands)
        {
            run.Stdout.Should().Contain(verb);
        }
    }

    [Fact]
    public async Task ScanHelp_ListsEveryOption()
    {
        var run = await CliRunner.RunAsync(["scan", "--help"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().Contain("--format").And.Contain("--output").And.Contain("--fail-on").And.Contain("--policy")
            .And.Contain("--verbose").And.Contain("--no-progress").And.Contain("console, json, sarif");
    }

    [Fact]
    public async Task RulesList_ListsEveryBuiltInRule()
    {
        var run = await CliRunner.RunAsync(["rules", "list"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        var lines = run.Stdout.TrimEnd().Split('\n');
        lines[0].Should().MatchRegex("^ID +SEVERITY +VERDICT +TITLE");
        lines.Should().HaveCount(Rampart.Cli.Commands.RulesCommand.Catalog.Rules.Length + 1);
        run.Stdout.Should().MatchRegex("RAMP-GEN-003 +medium +inconclusive +A model file whose content Rampart does not recognise");
    }

    [Theory]
    [InlineData("ramp-gen-001")]
    [InlineData("RAMP-PKL-001")]
    [InlineData("RAMP-MLF-002")]
    [InlineData("RAMP-DEP-011")]
    public async Task RulesShow_KnownIdInAnyCase_PrintsItsShippedPage(string id)
    {
        var key = id.ToUpperInvariant();
        var rule = AnalyzerRegistry.Rules[key];
        var page = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "rules", key + ".md"));
        var run = await CliRunner.RunAsync(["rules", "show", id]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().StartWith(page.TrimEnd(), "the page is embedded in the program, word for word")
            .And.Contain($"severity {rule.Severity.ToWire()}, verdict {rule.Verdict.ToWire()}")
            .And.Contain($"Online: {CliRunner.RuleDocsBase.AbsoluteUri}{key}.md");
    }

    [Fact]
    public async Task RulesShow_GuardRuleOutsideTheScanCatalog_PrintsItsPage()
    {
        var id = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "docs", "rules"), "RAMP-GUARD-*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).First()!;
        var run = await CliRunner.RunAsync(["rules", "show", id]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().StartWith($"# {id}");
    }

    [Fact]
    public void ShippedDocs_AreTheDefaultBaseOfRuleLinksAndHoldEveryPage()
    {
        RampartTool.Info.RuleDocsBaseUri.Scheme.Should().Be("file", "reports link to the pages shipped beside the program, which open offline");
        foreach (var rule in AnalyzerRegistry.Rules.Rules)
        {
            File.Exists(new Uri(RampartTool.Info.RuleDocsBaseUri, rule.Id + ".md").LocalPath).Should().BeTrue(rule.Id);
        }
    }

    [Theory]
    [InlineData("https://docs.example.org/rampart/rules", "https://docs.example.org/rampart/rules/RAMP-GEN-003.md")]
    [InlineData("https://docs.example.org/rampart/rules/", "https://docs.example.org/rampart/rules/RAMP-GEN-003.md")]
    [InlineData("mirror/rules", "file://{cwd}/mirror/rules/RAMP-GEN-003.md")]
    public async Task Scan_DocsBaseUrl_SetsEveryRuleLink(string value, string expected)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("x.pt"), "no model here");
        var run = await CliRunner.RunAsync(["scan", "x.pt", "-f", "json", "--docs-base-url", value], e => e with { CurrentDirectory = temp.Path });
        run.ExitCode.Should().Be(ExitCodes.Inconclusive, run.Stderr);
        run.Stdout.Should().Contain($"\"helpUri\": \"{expected.Replace("{cwd}", temp.Path, StringComparison.Ordinal)}\"");
        run.Stdout.Should().NotContain("rampart-mlsecops/rampart/blob");
    }

    [Fact]
    public void ReporterRegistry_Formats_AreConsoleJsonSarifHtmlAndMatchTheirReporters()
    {
        ReporterRegistry.Formats.Should().Equal("console", "json", "sarif", "html", "codequality");
        var options = new ReporterOptions(false, false, 80, "/");
        foreach (var format in ReporterRegistry.Formats)
        {
            ReporterRegistry.Create(format, options).Format.Should().Be(format);
        }
    }
}
