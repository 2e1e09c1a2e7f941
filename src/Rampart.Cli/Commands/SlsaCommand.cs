using System.CommandLine;
using Rampart.Core;
using Rampart.Provenance;
using Rampart.Provenance.Slsa;

namespace Rampart.Cli.Commands;

/// <summary>rampart slsa RUN: a training run as an in-toto Statement v1 with a SLSA Provenance v1 predicate (docs/commands/record.md).</summary>
internal static class SlsaCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var run = new Argument<string>("RUN") { Description = "The run id, or the model it produced (a file or a sha256 digest)." };
        var db = LedgerCli.DbOption();
        var output = new Option<string?>("--out", "-o") { Description = "Write the statement to this file instead of standard output.", HelpName = "FILE" };
        var command = new Command("slsa", "Export a recorded training run as SLSA Provenance v1 (in-toto Statement v1 JSON).") { run, db, output };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var value = parse.GetValue(run) ?? string.Empty;
            if (File.Exists(Path.GetFullPath(value, environment.CurrentDirectory)) || value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            {
                value = await LedgerCli.DigestAsync(environment, value, ct).ConfigureAwait(false);
            }

            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), cancellationToken: ct).ConfigureAwait(false);
            var statement = await SlsaExporter.ExportAsync(ledger, value, ct).ConfigureAwait(false);
            await LedgerCli.WriteOutputAsync(environment, parse.GetValue(output), LedgerCli.Json(statement), "SLSA provenance", ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }
}
