using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rampart.Core;
using Rampart.Provenance;
using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Signing;
using Rampart.Core.IO;

namespace Rampart.Cli.Commands;

/// <summary>rampart ledger init|verify|checkpoint|show|prove (docs/commands/ledger.md). The logic is in Rampart.Provenance.</summary>
internal static class LedgerCommand
{
    public static Command Create(CliEnvironment environment)
    {
        return new Command("ledger", "The tamper-evident provenance ledger: create it, verify it, export checkpoints, show entries, prove them.")
        {
            Init(environment), Verify(environment), CheckpointCommand(environment), Keygen(environment), Show(environment), Prove(environment),
        };
    }

    private static Command Init(CliEnvironment environment)
    {
        var db = LedgerCli.DbOption();
        var origin = new Option<string?>("--origin") { Description = "The log's name in its checkpoints (default: rampart.ledger/<random>).", HelpName = "NAME" };
        var command = new Command("init", "Create a ledger (a SQLite file, or the tables in a PostgreSQL database). Safe to repeat.") { db, origin };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var location = LedgerCli.Location(environment, parse.GetValue(db));
            await using var ledger = await Ledger.InitializeAsync(location, parse.GetValue(origin), cancellationToken: ct).ConfigureAwait(false);
            var size = await ledger.GetSizeAsync(ct).ConfigureAwait(false);
            await LedgerCli.WriteAsync(environment, $"ledger {ledger.Store.Description} ready: origin {ledger.Origin}, {size} entries\n", ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    private static Command Verify(CliEnvironment environment)
    {
        var db = LedgerCli.DbOption();
        var since = new Option<string?>("--since") { Description = "An exported checkpoint the log must still extend (proves it only grew).", HelpName = "CHECKPOINT" };
        var sinceKey = new Option<string?>("--since-key") { Description = "The key that signed the --since checkpoint: a signed-note verifier key (name+id+key) or a PEM public key (default: any key the ledger knows).", HelpName = "FILE" };
        var trusted = new Option<string[]>("--trusted-key") { Description = "Require every entry to be signed by one of these public keys (PEM); repeatable.", HelpName = "FILE" };
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text", HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("verify", "Re-check every entry's signature and hash, the Merkle tree, the stored checkpoints, and consistency with an old checkpoint. Exit 4 on failure.")
        {
            db, since, sinceKey, trusted, format,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var location = LedgerCli.Location(environment, parse.GetValue(db));
            Checkpoint? old = null;
            if (parse.GetValue(since) is { } sinceFile)
            {
                old = Checkpoint.Parse(await ReadTextAsync(environment, sinceFile, "checkpoint", ct).ConfigureAwait(false));
            }

            byte[]? key = parse.GetValue(sinceKey) is { } keyFile
                ? NoteKeys.PublicKeyFromText(await ReadTextAsync(environment, keyFile, "key", ct).ConfigureAwait(false))
                : null;
            HashSet<string>? trustedIds = null;
            foreach (var file in parse.GetValue(trusted) ?? [])
            {
                trustedIds ??= new HashSet<string>(StringComparer.Ordinal);
                trustedIds.Add(LedgerSigner.KeyIdOf(LedgerSigner.PublicKeyFromPem(await ReadTextAsync(environment, file, "key", ct).ConfigureAwait(false))));
            }

            await using var ledger = await Ledger.OpenAsync(location, cancellationToken: ct).ConfigureAwait(false);
            var result = await ledger.VerifyAsync(new VerifyOptions(old, key, trustedIds), ct).ConfigureAwait(false);
            var text = parse.GetValue(format) == "json" ? VerificationJson(ledger, result) : VerificationText(ledger, result, old);
            await LedgerCli.WriteAsync(environment, text, ct).ConfigureAwait(false);
            return result.Ok ? ExitCodes.Clean : ExitCodes.VerificationFailed;
        }));
        return command;
    }

    internal static string VerificationText(Ledger ledger, LedgerVerification result, Checkpoint? since)
    {
        var text = new StringBuilder();
        if (result.Ok)
        {
            text.Append(CultureInfo.InvariantCulture, $"ledger {ledger.Store.Description}: OK: {result.Size} entries, root {Convert.ToBase64String(result.Root)}, {result.CheckpointsChecked} stored checkpoint(s) match");
            if (since is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $", consistent with the checkpoint of size {since.Size}");
            }

            return text.Append('\n').ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"ledger {ledger.Store.Description}: VERIFICATION FAILED ({result.Problems.Count} problem(s))\n");
        if (result.FirstBadEntry is { } first)
        {
            text.Append(CultureInfo.InvariantCulture, $"first bad entry: {first}\n");
        }

        foreach (var problem in result.Problems)
        {
            text.Append("  - ").Append(problem).Append('\n');
        }

        return text.ToString();
    }

    private static string VerificationJson(Ledger ledger, LedgerVerification result) => LedgerCli.Json(new JsonObject
    {
        ["ledger"] = ledger.Store.Description,
        ["origin"] = ledger.Origin,
        ["ok"] = result.Ok,
        ["size"] = result.Size,
        ["root"] = Convert.ToBase64String(result.Root),
        ["firstBadEntry"] = result.FirstBadEntry,
        ["checkpointsChecked"] = result.CheckpointsChecked,
        ["sinceChecked"] = result.SinceChecked,
        ["problems"] = new JsonArray([.. result.Problems.Select(p => (JsonNode)p)]),
    });

    private static Command CheckpointCommand(CliEnvironment environment)
    {
        var db = LedgerCli.DbOption();
        var key = new Option<string?>("--key")
        {
            Description = $"The checkpoint key: a signed-note Ed25519 private key from 'rampart ledger keygen' (standard), or an ECDSA PEM key. Default: ${LedgerCli.KeyVariable}.",
            HelpName = "FILE",
        };
        var signer = LedgerCli.SignerOption();
        var output = new Option<string?>("--out", "-o") { Description = "Write the checkpoint to this file instead of standard output.", HelpName = "FILE" };
        var printKey = new Option<bool>("--print-verifier-key") { Description = "Print the key's signed-note verifier key (name+id+key) and sign nothing." };
        var command = new Command("checkpoint", "Sign the current tree head (C2SP tlog-checkpoint in a signed note), store it in the ledger and export it.")
        {
            db, key, signer, output, printKey,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            using var note = await LedgerCli.NoteSignerAsync(environment, parse.GetValue(key), parse.GetValue(signer), ct).ConfigureAwait(false);
            if (parse.GetValue(printKey))
            {
                await LedgerCli.WriteAsync(environment, note.VerifierKey + "\n", ct).ConfigureAwait(false);
                return ExitCodes.Clean;
            }

            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), time: environment.Time, cancellationToken: ct).ConfigureAwait(false);
            var checkpoint = await ledger.CreateCheckpointAsync(note, ct).ConfigureAwait(false);
            await LedgerCli.WriteOutputAsync(environment, parse.GetValue(output), checkpoint.ToNote(), $"checkpoint of size {checkpoint.Size}", ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    private static Command Keygen(CliEnvironment environment)
    {
        var name = new Option<string>("--name") { Description = "The key name in signature lines; a schema-less URL is recommended (example.com/ledger).", Required = true, HelpName = "NAME" };
        var output = new Option<string>("--out", "-o") { Description = "Prefix: writes PREFIX.key (private, owner-only) and PREFIX.vkey (verifier key).", Required = true, HelpName = "PREFIX" };
        var command = new Command("keygen", "Create an Ed25519 checkpoint key in the signed-note text forms (PRIVATE+KEY+name+id+key, name+id+key).") { name, output };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            using var note = NoteSigner.GenerateEd25519(parse.GetValue(name)!);
            var prefix = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            var (privatePath, publicPath) = (prefix + ".key", prefix + ".vkey");
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                await using (var stream = new StreamWriter(privatePath, new UTF8Encoding(false), options))
                {
                    await stream.WriteAsync(note.ExportPrivateKey() + "\n").ConfigureAwait(false);
                }

                await File.WriteAllTextAsync(publicPath, note.VerifierKey + "\n", new UTF8Encoding(false), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write the key files '{prefix}.key/.vkey': {e.Message}");
            }

            await LedgerCli.WriteAsync(environment, $"private key:  {privatePath} (owner read/write only; keep it secret)\nverifier key: {publicPath}\n{note.VerifierKey}\n", ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var db = LedgerCli.DbOption();
        var sequence = new Argument<long?>("ENTRY") { Description = "Show this entry in full (default: list every entry).", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text", HelpName = "FORMAT" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("show", "List the ledger's entries, or show one.") { sequence, db, format };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), cancellationToken: ct).ConfigureAwait(false);
            var json = parse.GetValue(format) == "json";
            if (parse.GetValue(sequence) is { } seq)
            {
                var entry = await ledger.Store.GetEntryAsync(seq, ct).ConfigureAwait(false) ?? throw new UsageException($"no entry {seq} in {ledger.Store.Description}");
                try
                {
                    _ = entry.Read();
                }
                catch (ProvenanceException e)
                {
                    throw new LedgerDamagedException($"entry {seq} is unreadable ({e.Message}); run 'rampart ledger verify'", e);
                }

                await LedgerCli.WriteAsync(environment, LedgerCli.Json(EntryJson(entry)), ct).ConfigureAwait(false);
                return ExitCodes.Clean;
            }

            var text = new StringBuilder();
            var all = new JsonArray();
            await foreach (var (entry, contents) in ledger.ReadAsync(ct).ConfigureAwait(false))
            {
                if (json)
                {
                    all.Add((JsonNode)EntryJson(entry)); // the JsonNode overload: the generic Add<T> needs runtime code generation (NativeAOT)
                    continue;
                }

                var refs = string.Join(" ", contents.Record.References().Select(r => $"{r.Field}={r.Digest[..19]}…"));
                text.Append(CultureInfo.InvariantCulture, $"{entry.Sequence,6}  {contents.Time:yyyy-MM-dd HH:mm:ss}Z  {contents.Record.Kind.Name,-12}  {contents.Signer.Name,-12}  {refs}\n");
            }

            await LedgerCli.WriteAsync(environment, json ? LedgerCli.Json(all) : text.ToString(), ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    private static JsonObject EntryJson(Provenance.Records.LedgerEntry entry) => new()
    {
        ["entry"] = entry.Sequence,
        ["record"] = JsonNode.Parse(entry.RecordJson),
        ["signature"] = Convert.ToBase64String(entry.Signature),
        ["leafHash"] = Convert.ToBase64String(entry.LeafHash),
    };

    private static Command Prove(CliEnvironment environment)
    {
        var db = LedgerCli.DbOption();
        var sequence = new Argument<long?>("ENTRY") { Description = "The entry to prove included.", Arity = ArgumentArity.ZeroOrOne };
        var size = new Option<long?>("--size") { Description = "The tree size to prove against (default: the whole log).", HelpName = "N" };
        var consistency = new Option<long?>("--consistency") { Description = "Instead: prove the first M entries are a prefix of the log (or of --size).", HelpName = "M" };
        var command = new Command("prove", "Print an inclusion proof for an entry, or a consistency proof between two sizes, as JSON (RFC 9162 hashes in base64).")
        {
            sequence, db, size, consistency,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), cancellationToken: ct).ConfigureAwait(false);
            var treeSize = parse.GetValue(size) ?? await ledger.GetSizeAsync(ct).ConfigureAwait(false);
            JsonObject json;
            if (parse.GetValue(consistency) is { } m)
            {
                var proof = await ledger.ProveConsistencyAsync(m, treeSize, ct).ConfigureAwait(false);
                json = new JsonObject
                {
                    ["origin"] = ledger.Origin,
                    ["size1"] = proof.Size1,
                    ["size2"] = proof.Size2,
                    ["root1"] = Convert.ToBase64String(proof.Root1),
                    ["root2"] = Convert.ToBase64String(proof.Root2),
                    ["proof"] = new JsonArray([.. proof.Path.Select(p => (JsonNode)Convert.ToBase64String(p))]),
                };
            }
            else if (parse.GetValue(sequence) is { } index)
            {
                var proof = await ledger.ProveInclusionAsync(index, treeSize, ct).ConfigureAwait(false);
                json = new JsonObject
                {
                    ["origin"] = ledger.Origin,
                    ["leafIdx"] = proof.Index,
                    ["treeSize"] = proof.TreeSize,
                    ["leafHash"] = Convert.ToBase64String(proof.LeafHash),
                    ["root"] = Convert.ToBase64String(proof.Root),
                    ["proof"] = new JsonArray([.. proof.Path.Select(p => (JsonNode)Convert.ToBase64String(p))]),
                };
            }
            else
            {
                throw new UsageException("give an ENTRY to prove included, or --consistency M");
            }

            await LedgerCli.WriteAsync(environment, LedgerCli.Json(json), ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    internal static async Task<string> ReadTextAsync(CliEnvironment environment, string file, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedFile.ReadAllTextAsync(Path.GetFullPath(file, environment.CurrentDirectory), BoundedFile.DefaultLimit, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the {what} '{file}': {e.Message}");
        }
    }
}
