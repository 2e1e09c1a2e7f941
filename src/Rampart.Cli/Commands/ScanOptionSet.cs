using System.CommandLine;
using Rampart.Cli.Reporting;

namespace Rampart.Cli.Commands;

/// <summary>
/// The paths and report options shared by every command that produces a scan report (scan, audit): one definition,
/// so their spelling, validation and help stay the same.
/// </summary>
internal sealed class ScanOptionSet
{
    public ScanOptionSet(string pathsDescription, string policyDescription)
    {
        Paths = new Argument<string[]>("PATH") { Description = pathsDescription, Arity = ArgumentArity.OneOrMore };
        Paths.Validators.Add(result =>
        {
            // An unknown option would otherwise be taken for a path; a file whose name starts with '-' can be given as ./-name.
            foreach (var value in result.Tokens.Select(t => t.Value))
            {
                if (value.Length > 1 && value[0] == '-' && !File.Exists(value) && !Directory.Exists(value))
                {
                    result.AddError($"unknown option '{value}'");
                    return;
                }
            }
        });
        Format = new Option<string>("--format", "-f")
        {
            Description = $"Report format: {string.Join(", ", ReporterRegistry.Formats)}.",
            DefaultValueFactory = _ => ReporterRegistry.DefaultFormat,
            HelpName = "FORMAT",
        };
        Format.AcceptOnlyFromAmong([.. ReporterRegistry.Formats]);
        Output = new Option<string?>("--output", "-o")
        {
            Description = "Write the report to this file instead of standard output (never in colour).",
            HelpName = "FILE",
        };
        FailOn = new Option<string?>("--fail-on")
        {
            Description = "Exit 1 when a finding has at least this severity: info, low, medium, high, critical. Overrides the policy (default medium).",
            HelpName = "SEVERITY",
        };
        Also = new Option<string[]>("--also")
        {
            Description = "Also write the same report, from the same scan, in another format to a file: FORMAT=FILE (repeatable), e.g. --format sarif -o rampart.sarif --also codequality=gl-code-quality-report.json.",
            HelpName = "FORMAT=FILE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        Policy = new Option<string?>("--policy", "-p") { Description = policyDescription, HelpName = "FILE" };
        Verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Console format: also list clean and skipped artifacts and suppressed findings.",
        };
        NoProgress = new Option<bool>("--no-progress") { Description = "Never show progress on standard error." };
        DocsBaseUrl = new Option<string?>("--docs-base-url")
        {
            Description = "Base address of the rule pages the report links to (http(s) or file URL, or a folder). Default: $RAMPART_DOCS_BASE_URL, else the docs/rules/ shipped beside rampart.",
            HelpName = "URL",
        };
    }

    public Argument<string[]> Paths { get; }

    public Option<string> Format { get; }

    public Option<string?> Output { get; }

    public Option<string[]> Also { get; }

    public Option<string?> FailOn { get; }

    public Option<string?> Policy { get; }

    public Option<bool> Verbose { get; }

    public Option<bool> NoProgress { get; }

    public Option<string?> DocsBaseUrl { get; }

    /// <summary>Adds the paths argument and the report options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Add(Paths);
        command.Options.Add(Format);
        command.Options.Add(Output);
        command.Options.Add(Also);
        command.Options.Add(FailOn);
        command.Options.Add(Policy);
        command.Options.Add(Verbose);
        command.Options.Add(NoProgress);
        command.Options.Add(DocsBaseUrl);
    }

    public ScanCommand.ScanOptions Read(ParseResult parse) => new(
        parse.GetValue(Paths) ?? [],
        parse.GetValue(Format) ?? ReporterRegistry.DefaultFormat,
        parse.GetValue(Output),
        parse.GetValue(FailOn),
        parse.GetValue(Policy),
        parse.GetValue(Verbose),
        parse.GetValue(NoProgress),
        parse.GetValue(DocsBaseUrl),
        parse.GetValue(Also) ?? []);
}
