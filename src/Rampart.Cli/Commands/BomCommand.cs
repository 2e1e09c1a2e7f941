using System.CommandLine;
using Rampart.Core;
using Rampart.Dependencies;
using Rampart.Provenance;
using Rampart.Provenance.Bom;
using Rampart.Scanning.Engine;

namespace Rampart.Cli.Commands;

/// <summary>rampart bom PATH: a CycloneDX 1.6 ML-BOM of a model folder or file (docs/commands/bom.md).</summary>
internal static class BomCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var path = new Argument<string>("PATH") { Description = "A model folder or file." };
        var output = new Option<string?>("--out", "-o") { Description = "Write the BOM to this file instead of standard output.", HelpName = "FILE" };
        var ledgerOption = LedgerCli.DbOption("--ledger");
        ledgerOption.Description = "A ledger (SQLite file or postgres://...) to take datasets, metrics and lineage from. Without it the BOM has no lineage.";
        var command = new Command("bom", "Write a CycloneDX 1.6 JSON ML-BOM: models with hashes and model cards (from what the files say, never loading them), datasets, Python libraries, lineage.")
        {
            path, output, ledgerOption,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var target = Path.GetFullPath(parse.GetValue(path) ?? string.Empty, environment.CurrentDirectory);
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                throw new UsageException($"'{parse.GetValue(path)}' does not exist");
            }

            var scanner = environment.ScannerFactory?.Invoke() ?? Scanner.CreateDefault(environment.Time);
            var builder = new AiBomBuilder(scanner, new DependencyInventory(), environment.Time);
            Ledger? ledger = null;
            if (parse.GetValue(ledgerOption) is { } location)
            {
                ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, location), cancellationToken: ct).ConfigureAwait(false);
            }

            try
            {
                var bom = await builder.BuildAsync(target, ledger, ct).ConfigureAwait(false);
                foreach (var warning in builder.Warnings)
                {
                    await environment.Error.WriteLineAsync($"rampart: warning: {warning}").ConfigureAwait(false);
                }

                await LedgerCli.WriteOutputAsync(environment, parse.GetValue(output), LedgerCli.Json(bom), "CycloneDX BOM", ct).ConfigureAwait(false);
            }
            catch (ScanTargetException e)
            {
                throw new UsageException(e.Message);
            }
            finally
            {
                if (ledger is not null)
                {
                    await ledger.DisposeAsync().ConfigureAwait(false);
                }
            }

            return ExitCodes.Clean;
        }));
        return command;
    }
}
