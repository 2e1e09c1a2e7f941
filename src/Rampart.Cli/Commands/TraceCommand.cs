using System.CommandLine;
using Rampart.Core;
using Rampart.Provenance;

namespace Rampart.Cli.Commands;

/// <summary>rampart trace ARTIFACT: the lineage graph of a file or digest from the ledger (docs/commands/trace.md).</summary>
internal static class TraceCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var artifact = new Argument<string>("ARTIFACT") { Description = "A file (hashed) or a sha256 digest." };
        var db = LedgerCli.DbOption();
        var format = new Option<string>("--format", "-f") { Description = "tree, json, dot (Graphviz) or mermaid.", DefaultValueFactory = _ => "tree", HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong("tree", "json", "dot", "mermaid");
        var command = new Command("trace", "Show where an artifact came from and what came of it: datasets, runs, models, evaluations, scans, approvals, deployments, revocations.")
        {
            artifact, db, format,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var digest = await LedgerCli.DigestAsync(environment, parse.GetValue(artifact) ?? string.Empty, ct).ConfigureAwait(false);
            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), cancellationToken: ct).ConfigureAwait(false);
            var graph = await ledger.TraceAsync(digest, ct).ConfigureAwait(false);
            var text = parse.GetValue(format) switch
            {
                "json" => graph.ToJson(),
                "dot" => graph.ToDot(),
                "mermaid" => graph.ToMermaid(),
                _ => graph.ToTree(),
            };
            await LedgerCli.WriteAsync(environment, text, ct).ConfigureAwait(false);
            return graph.Nodes.Count == 0 ? ExitCodes.Findings : ExitCodes.Clean;
        }));
        return command;
    }
}
