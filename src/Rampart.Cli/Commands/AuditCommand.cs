using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Dependencies;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart audit PATH...: the dependency and environment audit (manifests, lockfiles, installed environments) with
/// the scan's engine, reporters and exit codes (docs/commands/audit.md). No logic lives here.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Project folders, manifests or lockfiles, or installed environments (site-packages, a virtualenv, an unpacked image).",
            Arity = ArgumentArity.OneOrMore,
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"Report format: {string.Join(", ", ReporterRegistry.Formats)}.",
            DefaultValueFactory = _ => ReporterRegistry.DefaultFormat,
            HelpName = "FORMAT",
        };
        format.AcceptOnlyFromAmong([.. ReporterRegistry.Formats]);
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file.", HelpName = "FILE" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit 1 when a finding has at least this severity (default: the policy's, medium).", HelpName = "SEVERITY" };
        var policy = new Option<string?>("--policy", "-p") { Description = "Policy file (rampart.yaml): the dependencies section, suppressions.", HelpName = "FILE" };
        var db = new Option<string?>("--db") { Description = "Advisory database (default: $RAMPART_DB, then $XDG_CACHE_HOME/rampart/osv.db or ~/.cache/rampart/osv.db).", HelpName = "FILE" };
        var noAdvisories = new Option<bool>("--no-advisories") { Description = "Do not check known vulnerabilities (no database needed; the report says so)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Console format: also list clean artifacts and suppressed findings." };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never show progress on standard error." };
        var command = new Command("audit", "Audit Python dependencies and installed environments: advisories, tampered installs, start-up hooks, typosquats, confusion, pins.")
        {
            paths, format, output, failOn, policy, db, noAdvisories, verbose, noProgress,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var dbPath = parse.GetValue(db);
            var off = parse.GetValue(noAdvisories);
            if (off && dbPath is not null)
            {
                throw new UsageException("--db and --no-advisories contradict each other");
            }

            return ScanCommand.RunAsync(
                new ScanCommand.ScanOptions(
                    parse.GetValue(paths) ?? [],
                    parse.GetValue(format) ?? ReporterRegistry.DefaultFormat,
                    parse.GetValue(output),
                    parse.GetValue(failOn),
                    parse.GetValue(policy),
                    parse.GetValue(verbose),
                    parse.GetValue(noProgress)),
                environment,
                p => p with
                {
                    Advisories = off ? AdvisoryMode.Off : p.Advisories,
                    AdvisoryDatabase = dbPath ?? p.AdvisoryDatabase,
                },
                () => DependencyScanner.Create(environment.Time),
                cancellationToken);
        });
        return command;
    }
}
