using System.CommandLine;
using System.Text;
using Rampart.Provenance;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Cli.Commands;

/// <summary>Options and plumbing shared by the provenance commands (ledger, record, trace, bom, slsa).</summary>
internal static class LedgerCli
{
    /// <summary>Environment variable with the default signing key file.</summary>
    public const string KeyVariable = "RAMPART_LEDGER_KEY";

    /// <summary>The ledger file used when neither --db nor RAMPART_LEDGER is given.</summary>
    public const string DefaultFile = "rampart-ledger.db";

    public static Option<string?> DbOption(string name = "--db") => new(name)
    {
        Description = $"The ledger: a SQLite file or postgres://user@host:port/db (default: ${Ledger.LocationVariable}, else ./{DefaultFile}).",
        HelpName = "LEDGER",
    };

    public static Option<string?> KeyOption() => new("--key")
    {
        Description = $"The writer's ECDSA private key (PEM; P-256, P-384 or P-521). Default: ${KeyVariable}.",
        HelpName = "FILE",
    };

    public static Option<string?> SignerOption() => new("--signer")
    {
        Description = "The writer's name recorded with each entry (default: the user name).",
        HelpName = "NAME",
    };

    public static string Location(CliEnvironment environment, string? db)
    {
        var location = db ?? (Environment.GetEnvironmentVariable(Ledger.LocationVariable) is { Length: > 0 } fromEnv ? fromEnv : DefaultFile);
        return Ledger.IsDatabaseUrl(location) ? location : Path.GetFullPath(location, environment.CurrentDirectory);
    }

    public static LedgerSigner? Signer(CliEnvironment environment, string? key, string? name, bool required)
    {
        var file = key ?? (Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } fromEnv ? fromEnv : null);
        if (file is null)
        {
            return required ? throw new UsageException($"a signing key is needed: --key FILE (PEM) or ${KeyVariable}") : null;
        }

        return LedgerSigner.FromPemFile(Path.GetFullPath(file, environment.CurrentDirectory), name ?? Environment.UserName);
    }

    /// <summary>The checkpoint signer: a signed-note private key file (Ed25519) or an ECDSA PEM key named by --signer.</summary>
    public static async Task<Provenance.Checkpoints.NoteSigner> NoteSignerAsync(CliEnvironment environment, string? key, string? name, CancellationToken cancellationToken)
    {
        var file = key ?? (Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } fromEnv ? fromEnv : null)
            ?? throw new UsageException($"a signing key is needed: --key FILE (from 'rampart ledger keygen', or ECDSA PEM) or ${KeyVariable}");
        var text = await Commands.LedgerCommand.ReadTextAsync(environment, file, "key", cancellationToken).ConfigureAwait(false);
        return Provenance.Checkpoints.NoteSigner.FromText(text, name ?? Environment.UserName);
    }

    /// <summary>
    /// Runs a provenance action, turning <see cref="ProvenanceException"/> into a usage error (exit 3) and a store edited
    /// outside Rampart (<see cref="LedgerDamagedException"/>) into a verification failure (exit 4), each with its one-line message.
    /// </summary>
    public static async Task<int> RunAsync(CliEnvironment environment, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ProvenanceException e)
        {
            throw new UsageException(e.Message);
        }
        catch (LedgerDamagedException e)
        {
            await environment.Error.WriteLineAsync($"rampart: the ledger is damaged: {e.Message}").ConfigureAwait(false);
            return Core.ExitCodes.VerificationFailed;
        }
    }

    /// <summary>A digest given as sha256:..., as 64 hex digits, or as a path to a file that is hashed.</summary>
    public static async Task<string> DigestAsync(CliEnvironment environment, string value, CancellationToken cancellationToken)
    {
        var trimmed = value.Trim();
        if (ProvenanceRecord.IsDigest(trimmed.ToLowerInvariant()))
        {
            return trimmed.ToLowerInvariant();
        }

        if (trimmed.Length == 64 && trimmed.All(char.IsAsciiHexDigit))
        {
            return "sha256:" + trimmed.ToLowerInvariant();
        }

        var path = Path.GetFullPath(trimmed, environment.CurrentDirectory);
        if (File.Exists(path))
        {
            return await ArtifactDigest.OfFileAsync(path, cancellationToken).ConfigureAwait(false);
        }

        throw new UsageException($"'{value}' is neither a sha256 digest nor an existing file");
    }

    public static async Task WriteAsync(CliEnvironment environment, string text, CancellationToken cancellationToken)
    {
        await environment.Out.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await environment.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="text"/> to --out FILE when given (with a line on stderr), else to standard output.</summary>
    public static async Task WriteOutputAsync(CliEnvironment environment, string? outFile, string text, string what, CancellationToken cancellationToken)
    {
        if (outFile is null)
        {
            await WriteAsync(environment, text, cancellationToken).ConfigureAwait(false);
            return;
        }

        var path = Path.GetFullPath(outFile, environment.CurrentDirectory);
        try
        {
            await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write {what} to '{outFile}': {e.Message}");
        }

        await environment.Error.WriteLineAsync($"rampart: {what} written to {outFile}").ConfigureAwait(false);
    }

    public static string Json(System.Text.Json.Nodes.JsonNode node) =>
        node.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }) + "\n";
}
