using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Tests.Reporting;
using Rampart.Scanning;

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

    [Fact]
    public async Task RulesShow_KnownIdInAnyCase_PrintsItsTexts()
    {
        var rule = AnalyzerRegistry.Rules["RAMP-GEN-001"];
        var run = await CliRunner.RunAsync(["rules", "show", "ramp-gen-001"]);
        run.ExitCode.Should().Be(ExitCodes.Clean);
        run.Stdout.Should().StartWith($"RAMP-GEN-001: {rule.Title}").And.Contain(rule.Summary).And.Contain(rule.Fix)
            .And.Contain("AML.T0010").And.Contain("Documentation: ");
    }

    [Fact]
    public void ReporterRegistry_Formats_AreConsoleJsonSarifAndMatchTheirReporters()
    {
        ReporterRegistry.Formats.Should().Equal("console", "json", "sarif");
        var options = new ReporterOptions(false, false, 80, "/");
        foreach (var format in ReporterRegistry.Formats)
        {
            ReporterRegistry.Create(format, options).Format.Should().Be(format);
        }
    }
}
