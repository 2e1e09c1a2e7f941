using System.Collections.Immutable;
using System.CommandLine;
using Rampart.Cli.Reporting;
using Rampart.Core.Policy;
using Rampart.Dependencies.Manifests;
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
        var options = new ScanOptionSet(
            "Project folders, manifests or lockfiles, or installed environments (site-packages, a virtualenv, an unpacked image).",
            "Policy file (rampart.yaml): the dependencies section, suppressions.");
        var db = new Option<string?>("--db") { Description = "Advisory database (default: $RAMPART_DB, then $XDG_CACHE_HOME/rampart/osv.db or ~/.cache/rampart/osv.db).", HelpName = "FILE" };
        var noAdvisories = new Option<bool>("--no-advisories") { Description = "Do not check known vulnerabilities (no database needed; the report says so)." };
        var target = new Option<string[]>("--target")
        {
            Description = "The environment markers are evaluated for: PEP 508 marker variables as in the policy's dependencies.target "
                + "(python_version=3.11,sys_platform=linux; repeatable). Replaces the policy's target.",
            HelpName = "NAME=VALUE[,...]",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("audit", "Audit Python dependencies and installed environments: advisories, tampered installs, start-up hooks, typosquats, confusion, pins.");
        options.AddTo(command);
        command.Options.Add(db);
        command.Options.Add(noAdvisories);
        command.Options.Add(target);
        command.SetAction((parse, cancellationToken) =>
        {
            var dbPath = parse.GetValue(db);
            var off = parse.GetValue(noAdvisories);
            if (off && dbPath is not null)
            {
                throw new UsageException("--db and --no-advisories contradict each other");
            }

            // The command line's target replaces the policy's as a whole: a variable it leaves out is open, not the policy's.
            ImmutableDictionary<string, string>? cliTarget = null;
            if (parse.GetValue(target) is { Length: > 0 } assignments)
            {
                if (!MarkerEnvironment.TryParseAssignments(assignments, out var values, out var error))
                {
                    throw new UsageException("--target: " + error);
                }

                cliTarget = values;
            }

            return ScanCommand.RunAsync(
                options.Read(parse),
                environment,
                p => p with
                {
                    Advisories = off ? AdvisoryMode.Off : p.Advisories,
                    AdvisoryDatabase = dbPath ?? p.AdvisoryDatabase,
                    TargetEnvironment = cliTarget ?? p.TargetEnvironment,
                },
                () => DependencyScanner.Create(environment.Time),
                cancellationToken);
        });
        return command;
    }
}
