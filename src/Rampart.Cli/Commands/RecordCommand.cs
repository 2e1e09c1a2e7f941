using System.CommandLine;
using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.Provenance;
using Rampart.Provenance.Records;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart record KIND --field value ...: signs and appends one provenance record (docs/commands/record.md). One
/// subcommand per record kind, its options made from the kind's field table; artifact fields take a file (hashed
/// here) or a sha256 digest.
/// </summary>
internal static class RecordCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("record", "Sign and append a provenance record (dataset, training run, evaluation, scan, approval, deployment, incident, revocation) to the ledger.");
        foreach (var kind in RecordKinds.All.Values.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            command.Subcommands.Add(KindCommand(environment, kind));
        }

        return command;
    }

    private static Command KindCommand(CliEnvironment environment, RecordKind kind)
    {
        var db = LedgerCli.DbOption();
        var key = LedgerCli.KeyOption();
        var signer = LedgerCli.SignerOption();
        var format = new Option<string>("--format", "-f") { Description = "text or json (the stored entry).", DefaultValueFactory = _ => "text", HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command(kind.Name, kind.Description) { db, key, signer, format };
        var fields = new List<(FieldSpec Spec, Option<string[]> Option)>();
        foreach (var field in kind.Fields)
        {
            var help = field.Type switch
            {
                FieldType.Digest => " A file (hashed) or sha256:<hex>.",
                FieldType.DigestList => " A file (hashed) or sha256:<hex>; repeatable.",
                FieldType.Map or FieldType.Metrics => " name=value; repeatable.",
                _ => string.Empty,
            };
            var option = new Option<string[]>("--" + field.Name)
            {
                Description = field.Description + help + (field.Required ? " Required." : string.Empty),
                HelpName = field.Type switch { FieldType.Digest or FieldType.DigestList => "FILE|DIGEST", FieldType.Map or FieldType.Metrics => "NAME=VALUE", _ => "TEXT" },
                Arity = ArgumentArity.ZeroOrMore,
            };
            fields.Add((field, option));
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var builder = ProvenanceRecord.Create(kind.Name);
            foreach (var (spec, option) in fields)
            {
                var values = parse.GetValue(option) ?? [];
                if (values.Length > 1 && spec.Type is FieldType.Text or FieldType.Digest or FieldType.License)
                {
                    throw new UsageException($"--{spec.Name} takes one value (got {values.Length})");
                }

                foreach (var value in values)
                {
                    builder.Set(spec.Name, spec.Type is FieldType.Digest or FieldType.DigestList
                        ? await LedgerCli.DigestAsync(environment, value, ct).ConfigureAwait(false)
                        : value);
                }
            }

            var record = builder.Build();
            using var writer = LedgerCli.Signer(environment, parse.GetValue(key), parse.GetValue(signer), required: true)!;
            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), writer, environment.Time, ct).ConfigureAwait(false);
            var entry = await ledger.AppendAsync(record, ct).ConfigureAwait(false);
            var text = parse.GetValue(format) == "json"
                ? LedgerCli.Json(new JsonObject { ["entry"] = entry.Sequence, ["record"] = JsonNode.Parse(entry.RecordJson), ["leafHash"] = Convert.ToBase64String(entry.LeafHash) })
                : $"recorded entry {entry.Sequence} ({kind.Name}) in {ledger.Store.Description}, signed by {writer.Name} ({writer.KeyId})\n";
            await LedgerCli.WriteAsync(environment, text, ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }
}
