using System.CommandLine;
using System.Globalization;
using System.Text;
using Rampart.Cli.Reporting;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Data.Anonymize;
using Rampart.Data.Crypto;
using Rampart.Data.Diff;
using Rampart.Data.Fingerprint;
using Rampart.Data.Scan;
using Rampart.Provenance;
using Rampart.Scanning;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart data scan|diff|anonymize|encrypt|decrypt|keygen|fingerprint (docs/data.md). The work is in Rampart.Data;
/// this parses options, maps failures to exit codes and writes reports through the Core reporters.
/// </summary>
internal static class DataCommand
{
    /// <summary>Environment variable holding the data key (64 hex digits or base64) when no --key-file is given.</summary>
    public const string KeyVariable = "RAMPART_DATA_KEY";

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("data", "Check, compare, anonymise, encrypt and fingerprint datasets (CSV, TSV, JSON Lines, Parquet, image folders).");
        command.Subcommands.Add(Scan(environment));
        command.Subcommands.Add(DiffCommand(environment));
        command.Subcommands.Add(Anonymize(environment));
        command.Subcommands.Add(Encrypt(environment, decrypt: false));
        command.Subcommands.Add(Encrypt(environment, decrypt: true));
        command.Subcommands.Add(Keygen(environment));
        command.Subcommands.Add(FingerprintCommand(environment));
        return command;
    }

    private static Option<string> Format() => new("--format", "-f")
    {
        Description = $"Output format: {string.Join(", ", ReporterRegistry.Formats)}.",
        DefaultValueFactory = _ => ReporterRegistry.DefaultFormat,
        HelpName = "FORMAT",
    };

    private static Command Scan(CliEnvironment environment)
    {
        var path = new Argument<string>("PATH") { Description = "A CSV/TSV, JSON Lines or Parquet file, or a folder of label folders of images." };
        var label = new Option<string?>("--label") { Description = "The label column (default: one named label, target, class, y or category).", HelpName = "COLUMN" };
        var format = Format();
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file.", HelpName = "FILE" };
        var policy = new Option<string?>("--policy", "-p") { Description = "Policy file (rampart.yaml): fail-on and suppressions.", HelpName = "FILE" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit 1 when a finding has at least this severity (default medium).", HelpName = "SEVERITY" };
        var rows = new Option<int?>("--analysis-rows") { Description = "Rows held in memory for near duplicates, label noise, outliers and triggers (default 100000).", HelpName = "N" };
        var noModel = new Option<bool>("--no-label-noise") { Description = "Skip the cross-validated label-noise model." };
        var command = new Command("scan", "Scan a dataset: personal data, secrets, duplicates, label noise, outliers, backdoor-trigger candidates, malformed rows.")
        {
            path, label, format, output, policy, failOn, rows, noModel,
        };
        command.SetAction(async (parse, ct) =>
        {
            var started = environment.Time.GetUtcNow();
            var target = Existing(environment, parse.GetValue(path)!);
            var options = DataScanOptions.Default with { LabelColumn = parse.GetValue(label), LabelNoise = !parse.GetValue(noModel) };
            if (parse.GetValue(rows) is { } n)
            {
                options = n > 0 ? options with { AnalysisRows = n } : throw new UsageException("--analysis-rows must be positive");
            }

            var scanPolicy = await Policy(environment, parse.GetValue(policy), parse.GetValue(failOn), ct).ConfigureAwait(false);
            DatasetScanResult result;
            try
            {
                result = await Task.Run(() => DatasetScanner.Scan(target, options, ct), ct).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            var applied = PolicyEvaluator.Apply(result.Findings, scanPolicy, DateOnly.FromDateTime(environment.Time.GetUtcNow().UtcDateTime));
            var report = result.ToReport(RampartTool.Info, started, environment.Time.GetUtcNow() - started, scanPolicy.FailOn, applied.Kept, applied.Suppressed, applied.Warnings);
            await WriteReportAsync(environment, report, parse.GetValue(format)!, parse.GetValue(output), ct).ConfigureAwait(false);
            return report.ExitCode;
        });
        return command;
    }

    private static Command DiffCommand(CliEnvironment environment)
    {
        var oldPath = new Argument<string>("OLD") { Description = "The earlier version." };
        var newPath = new Argument<string>("NEW") { Description = "The later version." };
        var label = new Option<string?>("--label") { Description = "The label column.", HelpName = "COLUMN" };
        var format = Format();
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file.", HelpName = "FILE" };
        var failOn = new Option<string?>("--fail-on") { Description = "Exit 1 when a finding has at least this severity (default medium).", HelpName = "SEVERITY" };
        var command = new Command("diff", "Compare two versions of a dataset: schema, class balance, distribution shifts.") { oldPath, newPath, label, format, output, failOn };
        command.SetAction(async (parse, ct) =>
        {
            var started = environment.Time.GetUtcNow();
            var a = Existing(environment, parse.GetValue(oldPath)!);
            var b = Existing(environment, parse.GetValue(newPath)!);
            var scanPolicy = await Policy(environment, null, parse.GetValue(failOn), ct).ConfigureAwait(false);
            var result = await Task.Run(() => DatasetDiff.Compare(a, b, parse.GetValue(label), cancellationToken: ct), ct).ConfigureAwait(false);
            var report = result.ToReport(RampartTool.Info, started, environment.Time.GetUtcNow() - started, scanPolicy.FailOn);
            await WriteReportAsync(environment, report, parse.GetValue(format)!, parse.GetValue(output), ct).ConfigureAwait(false);
            return report.ExitCode;
        });
        return command;
    }

    private static Command Anonymize(CliEnvironment environment)
    {
        var path = new Argument<string>("PATH") { Description = "The dataset to anonymise." };
        var policy = new Option<string>("--policy", "-p") { Description = "The anonymisation policy (YAML; docs/data.md).", Required = true, HelpName = "FILE" };
        var output = new Option<string>("--output", "-o") { Description = "The anonymised CSV to write.", Required = true, HelpName = "FILE" };
        var report = new Option<string?>("--report") { Description = "Write the JSON report (k, l, suppressed rows, DP releases and budget) here instead of standard output.", HelpName = "FILE" };
        var command = new Command("anonymize", "Mask, hash (HMAC), generalise and suppress columns per a policy; check k-anonymity and l-diversity; release DP aggregates.") { path, policy, output, report };
        command.SetAction(async (parse, ct) =>
        {
            var source = Existing(environment, parse.GetValue(path)!);
            var policyFile = Existing(environment, parse.GetValue(policy)!);
            AnonymizationResult result;
            try
            {
                var parsed = AnonymizationPolicy.Parse(await Core.IO.BoundedFile.ReadAllTextAsync(policyFile, 1 << 20, cancellationToken: ct).ConfigureAwait(false), policyFile, environment.CurrentDirectory);
                result = await Task.Run(() => Anonymizer.Run(source, Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory), parsed, null, ct), ct).ConfigureAwait(false);
            }
            catch (AnonymizationException e)
            {
                throw new UsageException(e.Message);
            }

            var json = result.ToJson() + "\n";
            await LedgerCli.WriteOutputAsync(environment, parse.GetValue(report), json, "the anonymisation report", ct).ConfigureAwait(false);
            return result.Satisfied ? ExitCodes.Clean : ExitCodes.Findings;
        });
        return command;
    }

    private static Command Encrypt(CliEnvironment environment, bool decrypt)
    {
        var input = new Argument<string>("INPUT") { Description = decrypt ? "The encrypted file." : "The file to encrypt." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the result.", Required = true, HelpName = "FILE" };
        var keyFile = new Option<string?>("--key-file", "-k") { Description = $"The data key: 32 raw bytes, 64 hex digits or base64 (default: ${KeyVariable}).", HelpName = "FILE" };
        var keyId = new Option<string?>("--key-id") { Description = "The key id written into the header (default: derived from the key).", HelpName = "ID" };
        var command = new Command(decrypt ? "decrypt" : "encrypt", decrypt
            ? "Decrypt a file made by `rampart data encrypt`; any tampering or truncation is refused and nothing is written."
            : "Encrypt a file with AES-256-GCM in authenticated chunks (any size, bounded memory).") { input, output, keyFile };
        if (!decrypt)
        {
            command.Options.Add(keyId);
        }

        command.SetAction(async (parse, ct) =>
        {
            var from = Existing(environment, parse.GetValue(input)!);
            var to = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            try
            {
                var key = Key(environment, parse.GetValue(keyFile), decrypt ? null : parse.GetValue(keyId), from, decrypt);
                await Task.Run(() =>
                {
                    if (decrypt)
                    {
                        DataEncryption.DecryptFile(from, to, key, ct);
                    }
                    else
                    {
                        DataEncryption.EncryptFile(from, to, key, cancellationToken: ct);
                    }
                }, ct).ConfigureAwait(false);
                await environment.Error.WriteLineAsync($"rampart: {(decrypt ? "decrypted" : "encrypted")} {parse.GetValue(input)} to {parse.GetValue(output)} (key id {key.Id})").ConfigureAwait(false);
                return ExitCodes.Clean;
            }
            catch (DataCryptoException e)
            {
                await environment.Error.WriteLineAsync($"rampart: {e.Message}").ConfigureAwait(false);
                return decrypt ? ExitCodes.VerificationFailed : ExitCodes.UsageError;
            }
        });
        return command;
    }

    private static Command Keygen(CliEnvironment environment)
    {
        var output = new Option<string>("--output", "-o") { Description = "The key file to create (hex, mode 600).", Required = true, HelpName = "FILE" };
        var command = new Command("keygen", "Create a random 256-bit data key for encrypt/decrypt.") { output };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(output)!, environment.CurrentDirectory);
            if (File.Exists(path))
            {
                throw new UsageException($"'{parse.GetValue(output)}' exists; not overwriting a key");
            }

            var key = DataKey.Generate();
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var stream = new FileStream(path, options))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(key.ToHex() + "\n"), ct).ConfigureAwait(false);
            }

            await environment.Error.WriteLineAsync($"rampart: data key {key.Id} written to {parse.GetValue(output)}").ConfigureAwait(false);
            return ExitCodes.Clean;
        });
        return command;
    }

    private static Command FingerprintCommand(CliEnvironment environment)
    {
        var path = new Argument<string>("PATH") { Description = "A dataset file or folder." };
        var name = new Option<string?>("--name") { Description = "Dataset name for the ledger record (default: the file or folder name).", HelpName = "NAME" };
        var version = new Option<string?>("--version") { Description = "Version or snapshot label.", HelpName = "TEXT" };
        var sourceOption = new Option<string?>("--source") { Description = "Where the data came from.", HelpName = "TEXT" };
        var license = new Option<string?>("--license") { Description = "Licence (SPDX id or name).", HelpName = "TEXT" };
        var manifestOut = new Option<string?>("--manifest") { Description = "Write the manifest (sha256, size, path per file) here.", HelpName = "FILE" };
        var scan = new Option<bool>("--scan") { Description = "Scan the dataset (a single file) and record the scan summary with the snapshot." };
        var record = new Option<bool>("--record") { Description = "Append a dataset record to the provenance ledger (needs a signing key)." };
        var db = LedgerCli.DbOption();
        var key = LedgerCli.KeyOption();
        var signer = LedgerCli.SignerOption();
        var command = new Command("fingerprint", "Digest a dataset snapshot (manifest) and record it, with its scan summary, in the provenance ledger.")
        {
            path, name, version, sourceOption, license, manifestOut, scan, record, db, key, signer,
        };
        command.SetAction((parse, ct) => LedgerCli.RunAsync(environment, async () =>
        {
            var target = Existing(environment, parse.GetValue(path)!);
            var manifest = await Task.Run(() => DatasetFingerprint.Manifest(target, ct), ct).ConfigureAwait(false);
            if (parse.GetValue(manifestOut) is { } m)
            {
                await LedgerCli.WriteOutputAsync(environment, m, manifest.Text, "the manifest", ct).ConfigureAwait(false);
            }

            DatasetScanResult? scanned = null;
            if (parse.GetValue(scan))
            {
                if (Directory.Exists(target) && !Directory.EnumerateDirectories(target).Any())
                {
                    throw new UsageException("--scan needs a dataset file or a folder of label folders");
                }

                scanned = await Task.Run(() => DatasetScanner.Scan(target, cancellationToken: ct), ct).ConfigureAwait(false);
            }

            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{manifest.Digest}  {manifest.Files} file(s), {manifest.Bytes} bytes\n");
            if (scanned is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"scan: {string.Join(", ", DatasetFingerprint.Summary(scanned).Select(kv => $"{kv.Key}={kv.Value}"))}\n");
            }

            if (parse.GetValue(record))
            {
                using var writer = LedgerCli.Signer(environment, parse.GetValue(key), parse.GetValue(signer), required: true)!;
                await using var ledger = await Ledger.OpenAsync(LedgerCli.Location(environment, parse.GetValue(db)), writer, environment.Time, ct).ConfigureAwait(false);
                var entry = await DatasetFingerprint.RecordAsync(ledger, parse.GetValue(name) ?? Path.GetFileName(target.TrimEnd('/', '\\')), manifest, scanned,
                    parse.GetValue(version), parse.GetValue(sourceOption), parse.GetValue(license), ct).ConfigureAwait(false);
                text.Append(CultureInfo.InvariantCulture, $"recorded entry {entry.Sequence} (dataset) in {ledger.Store.Description}; list {manifest.Digest} in a training run's --datasets to link the model\n");
            }

            await LedgerCli.WriteAsync(environment, text.ToString(), ct).ConfigureAwait(false);
            return ExitCodes.Clean;
        }));
        return command;
    }

    private static DataKey Key(CliEnvironment environment, string? keyFile, string? keyId, string input, bool decrypt)
    {
        string? id = keyId;
        if (decrypt)
        {
            // A key given as bytes has no id of its own: take the file's, so a named key (--key-id at encryption) works.
            using var stream = File.OpenRead(input);
            id = DataEncryption.ReadKeyId(stream);
        }

        if (keyFile is not null)
        {
            var key = DataKey.FromFile(Path.GetFullPath(keyFile, environment.CurrentDirectory));
            return decrypt && id is not null && !id.StartsWith("k-", StringComparison.Ordinal) ? new DataKey(Convert.FromHexString(key.ToHex()), id) : keyId is null ? key : new DataKey(Convert.FromHexString(key.ToHex()), keyId);
        }

        if (Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } text)
        {
            var key = DataKey.Parse(text);
            return decrypt && id is not null && !id.StartsWith("k-", StringComparison.Ordinal) ? new DataKey(Convert.FromHexString(key.ToHex()), id) : keyId is null ? key : new DataKey(Convert.FromHexString(key.ToHex()), keyId);
        }

        throw new UsageException($"a data key is needed: --key-file FILE or ${KeyVariable} (make one with 'rampart data keygen')");
    }

    private static async Task<ScanPolicy> Policy(CliEnvironment environment, string? file, string? failOn, CancellationToken ct)
    {
        var policy = await ScanCommand.LoadPolicyAsync(file, environment.CurrentDirectory, ct).ConfigureAwait(false);
        if (failOn is not null)
        {
            policy = SeverityNames.TryParse(failOn, out var severity)
                ? policy with { FailOn = severity }
                : throw new UsageException($"--fail-on must be one of info, low, medium, high, critical (got '{failOn}')");
        }

        return policy;
    }

    private static string Existing(CliEnvironment environment, string path)
    {
        var full = Path.GetFullPath(path, environment.CurrentDirectory);
        return File.Exists(full) || Directory.Exists(full) ? full : throw new UsageException($"no file or folder at '{path}'");
    }

    private static async Task WriteReportAsync(CliEnvironment environment, ScanReport report, string format, string? output, CancellationToken ct)
    {
        var reporter = ReporterRegistry.Create(format, new ReporterOptions(
            Color: output is null && environment.OutIsTerminal && !environment.NoColor,
            Verbose: false,
            Width: output is null && environment.OutIsTerminal ? environment.TerminalWidth : ConsoleReporter.UnlimitedWidth,
            BaseDirectory: environment.CurrentDirectory));
        if (output is null)
        {
            await reporter.WriteAsync(report, environment.Out, ct).ConfigureAwait(false);
            return;
        }

        var path = Path.GetFullPath(output, environment.CurrentDirectory);
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            await reporter.WriteAsync(report, file, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write to '{output}': {e.Message}");
        }

        await environment.Error.WriteLineAsync($"rampart: report written to {output}: {report.Findings.Length} finding(s), exit {report.ExitCode}").ConfigureAwait(false);
    }
}
