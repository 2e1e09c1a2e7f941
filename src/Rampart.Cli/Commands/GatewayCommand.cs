using System.CommandLine;
using System.Globalization;
using Rampart.Gateway;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.Gateway.Hosting;
using Rampart.Guard.Audit;

namespace Rampart.Cli.Commands;

/// <summary>
/// rampart gateway run | keys create|list|revoke | logs verify|query (docs/gateway.md): the runtime gateway in front of
/// model endpoints, its API keys and its audit log.
/// </summary>
internal static class GatewayCommand
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("gateway", "Run the runtime gateway in front of model endpoints, manage its API keys, check its audit log.");
        command.Subcommands.Add(Run(environment));
        command.Subcommands.Add(Keys(environment));
        command.Subcommands.Add(Logs(environment));
        return command;
    }

    private static Command Run(CliEnvironment environment)
    {
        var config = new Option<string>("--config", "-c") { Description = "gateway.yaml", Required = true, HelpName = "FILE" };
        var command = new Command("run", "Start the gateway (Ctrl+C stops it; gateway.yaml is re-read on change without dropping connections).") { config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(config)!, environment.CurrentDirectory);
            GatewayConfig loaded;
            try
            {
                loaded = GatewayConfigParser.Load(path);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message);
            }

            GatewayHost started;
            try
            {
                started = await GatewayHost.StartAsync(loaded, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                // A port in use, a missing ledger or key: a configuration problem, not a crash.
                throw new UsageException($"{path}: the gateway could not start: {e.Message}");
            }

            await using var host = started;
            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync($"rampart gateway listening on {host.Address} ({loaded.Routes.Length} routes)").ConfigureAwait(false);
            using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path)) { EnableRaisingEvents = true };
            watcher.Changed += async (_, _) =>
            {
                try
                {
                    await host.ReloadAsync(GatewayConfigParser.Load(path), CancellationToken.None).ConfigureAwait(false);
                    await parse.InvocationConfiguration.Output.WriteLineAsync("configuration reloaded").ConfigureAwait(false);
                }
#pragma warning disable CA1031 // a bad edit keeps the running configuration; the error is printed
                catch (Exception e)
#pragma warning restore CA1031
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"reload refused, keeping the running configuration: {e.Message}").ConfigureAwait(false);
                }
            };
            try
            {
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return Core.ExitCodes.Clean;
        });
        return command;
    }

    private static Command Keys(CliEnvironment environment)
    {
        var file = new Option<string>("--file", "-f") { Description = "The API key file named by auth.apiKeys.", Required = true, HelpName = "FILE" };
        var keys = new Command("keys", "Manage API keys (only salted hashes are stored).");

        var principal = new Option<string>("--principal") { Description = "Who the key identifies (used by allow rules and the audit log).", Required = true };
        var roles = new Option<string[]>("--role") { Description = "A role (repeatable).", AllowMultipleArgumentsPerToken = false };
        var scopes = new Option<string[]>("--scope") { Description = "A route name the key may be used on (repeatable; default all).", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<string?>("--expires") { Description = "Expiry: a date (2027-01-31) or a duration in days (90d)." };
        var create = new Command("create", "Create a key; prints it once.") { file, principal, roles, scopes, expires };
        create.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!, environment.CurrentDirectory);
            var now = TimeProvider.System.GetUtcNow();
            var (store, key, record) = Load(path).Create(parse.GetValue(principal)!, parse.GetValue(roles) ?? [], parse.GetValue(scopes) ?? [], now, Expiry(parse.GetValue(expires), now));
            store.Save(path);
            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync(key).ConfigureAwait(false);
            await stdout.WriteLineAsync($"# {record.Prefix} for {record.Principal}; shown once, only its salted hash is stored in {path}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });

        var list = new Command("list", "List keys (prefix, principal, roles, scopes, expiry, revocation).") { file };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            foreach (var k in Load(Path.GetFullPath(parse.GetValue(file)!, environment.CurrentDirectory)).Keys)
            {
                var state = k.Revoked is not null ? "revoked" : k.Expires is { } e && e <= TimeProvider.System.GetUtcNow() ? "expired" : "active";
                await stdout.WriteLineAsync($"{k.Prefix}  {k.Principal}  roles={string.Join(',', k.Roles)}  scopes={string.Join(',', k.Scopes)}  expires={k.Expires?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "never"}  {state}").ConfigureAwait(false);
            }

            return Core.ExitCodes.Clean;
        });

        var prefix = new Argument<string>("prefix") { Description = "The key's prefix (rk_XXXXXXXXXX), as listed." };
        var revoke = new Command("revoke", "Revoke a key (a running gateway notices the file change).") { file, prefix };
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!, environment.CurrentDirectory);
            try
            {
                Load(path).Revoke(parse.GetValue(prefix)!, TimeProvider.System.GetUtcNow()).Save(path);
            }
            catch (KeyNotFoundException e)
            {
                throw new UsageException(e.Message);
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync($"revoked {parse.GetValue(prefix)}").ConfigureAwait(false);
            return Core.ExitCodes.Clean;
        });

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        return keys;
    }

    private static Command Logs(CliEnvironment environment)
    {
        var dir = new Option<string>("--dir", "-d") { Description = "The audit directory (audit.directory).", Required = true, HelpName = "DIR" };
        var keyFile = new Option<string?>("--key") { Description = "The audit key file, for encrypted logs.", HelpName = "FILE" };
        var logs = new Command("logs", "Check and read the gateway's audit log.");

        var ledger = new Option<string?>("--ledger") { Description = "Also check the log against the chain heads anchored in this provenance ledger (SQLite file or postgres:// URL).", HelpName = "LEDGER" };
        var name = new Option<string?>("--name") { Description = "With --ledger: the gateway's ledger.name (default: every gateway-audit anchor)." };
        var verify = new Command("verify", "Check the hash chain of every segment, and with --ledger the anchored heads (exit 4 when broken).") { dir, keyFile, ledger, name };
        verify.SetAction(async (parse, cancellationToken) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(dir)!, environment.CurrentDirectory);
            var key = Key(parse.GetValue(keyFile), environment);
            var result = AuditVerifier.Verify(directory, key);
            var stdout = parse.InvocationConfiguration.Output;
            await stdout.WriteLineAsync(result.Ok
                ? $"ok: {result.Entries} entries in {result.Segments} segment(s), chain intact"
                : $"BROKEN after {result.Entries} good entries: {result.Problem}").ConfigureAwait(false);
            if (!result.Ok || parse.GetValue(ledger) is not { } location)
            {
                return result.Ok ? Core.ExitCodes.Clean : Core.ExitCodes.VerificationFailed;
            }

            IReadOnlyList<AuditAnchorRef> anchors;
            try
            {
                anchors = await AuditAnchors.ReadAsync(Provenance.Ledger.IsDatabaseUrl(location) ? location : Path.GetFullPath(location, environment.CurrentDirectory), parse.GetValue(name), cancellationToken).ConfigureAwait(false);
            }
            catch (Provenance.ProvenanceException e)
            {
                throw new UsageException($"--ledger {location}: {e.Message}");
            }

            var problems = AuditVerifier.VerifyAnchors(directory, anchors, key);
            foreach (var problem in problems)
            {
                await stdout.WriteLineAsync($"ANCHOR MISMATCH: {problem}").ConfigureAwait(false);
            }

            if (problems.Count == 0)
            {
                await stdout.WriteLineAsync(anchors.Count == 0 ? "no anchors for this log in the ledger" : $"ok: {anchors.Count} anchor(s) in the ledger match the log").ConfigureAwait(false);
            }

            return problems.Count == 0 ? Core.ExitCodes.Clean : Core.ExitCodes.VerificationFailed;
        });

        var principal = new Option<string?>("--principal");
        var since = new Option<string?>("--since") { Description = "An ISO 8601 time (2026-12-01T10:00Z) or a duration back from now (30m, 2h, 7d)." };
        var route = new Option<string?>("--route");
        var rule = new Option<string?>("--rule") { Description = "A rule id, e.g. RAMP-GUARD-003." };
        var query = new Command("query", "Print matching entries as JSON lines.") { dir, keyFile, principal, since, route, rule };
        query.SetAction(async (parse, cancellationToken) =>
        {
            var filter = new AuditQuery(parse.GetValue(principal), Since(parse.GetValue(since)), parse.GetValue(route), parse.GetValue(rule));
            var stdout = parse.InvocationConfiguration.Output;
            try
            {
                foreach (var entry in AuditVerifier.Query(Path.GetFullPath(parse.GetValue(dir)!, environment.CurrentDirectory), filter, Key(parse.GetValue(keyFile), environment)))
                {
                    await stdout.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(entry, Json)).ConfigureAwait(false);
                }
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message);
            }

            return Core.ExitCodes.Clean;
        });

        logs.Subcommands.Add(verify);
        logs.Subcommands.Add(query);
        return logs;
    }

    private static ApiKeyStore Load(string path)
    {
        try
        {
            return ApiKeyStore.Load(path);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static AuditKey? Key(string? path, CliEnvironment environment)
    {
        try
        {
            return path is null ? null : AuditKey.FromFile(Path.GetFullPath(path, environment.CurrentDirectory));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new UsageException(e.Message);
        }
    }

    private static DateTimeOffset? Expiry(string? text, DateTimeOffset now) => text switch
    {
        null => null,
        _ when text.EndsWith('d') && int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var days) && days > 0 => now.AddDays(days),
        _ when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at,
        _ => throw new UsageException($"--expires: '{text}' is neither a date nor a number of days like 90d"),
    };

    private static DateTimeOffset? Since(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var now = TimeProvider.System.GetUtcNow();
        if (text.Length > 1 && int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            switch (text[^1])
            {
                case 'm':
                    return now.AddMinutes(-n);
                case 'h':
                    return now.AddHours(-n);
                case 'd':
                    return now.AddDays(-n);
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : throw new UsageException($"--since: '{text}' is neither a time nor a duration like 30m, 2h, 7d");
    }
}
