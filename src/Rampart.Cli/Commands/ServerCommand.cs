using System.CommandLine;
using Rampart.Server;
using Rampart.Server.Hosting;

namespace Rampart.Cli.Commands;

/// <summary>rampart server: runs the shared platform (registry, identity, incidents, REST API; docs/server.md).</summary>
internal static class ServerCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var data = new Option<string>("--data", "-d") { Description = "Data folder: blobs, uploads, keys, SQLite databases.", Required = true, HelpName = "DIR" };
        var listen = new Option<string>("--listen") { Description = "Address to listen on (put a TLS proxy in front).", DefaultValueFactory = _ => "http://127.0.0.1:8480", HelpName = "URL" };
        var db = new Option<string?>("--db") { Description = "PostgreSQL for metadata and ledger (postgres://user@host:port/db); default SQLite in the data folder.", HelpName = "URL" };
        var advisories = new Option<string?>("--advisories") { Description = "OSV database for the audit of attached requirement files.", HelpName = "FILE" };
        var maxUpload = new Option<long>("--max-upload-bytes") { Description = "Largest version accepted.", DefaultValueFactory = _ => 16L << 30 };
        var oidc = new Option<string?>("--oidc") { Description = "OpenID Connect single sign-on configuration (JSON, docs/server.md); the client secret comes from the file or variable it names.", HelpName = "FILE" };
        var command = new Command("server", "Run the shared platform: model and dataset registry with quarantine and approvals, accounts with MFA and RBAC, incidents, REST API.")
        {
            data, listen, db, advisories, maxUpload, oidc,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(data)!, environment.CurrentDirectory),
                Listen = parse.GetValue(listen)!,
                Database = parse.GetValue(db),
                AdvisoryDatabase = parse.GetValue(advisories) is { } a ? Path.GetFullPath(a, environment.CurrentDirectory) : null,
                MaxUploadBytes = parse.GetValue(maxUpload),
                AdminPassword = Environment.GetEnvironmentVariable("RAMPART_ADMIN_PASSWORD") is { Length: > 0 } p ? p : null,
                Time = environment.Time,
            };
            ServerHost host;
            try
            {
                if (parse.GetValue(oidc) is { } oidcFile)
                {
                    options = options with { Oidc = Rampart.Server.Identity.OidcOptions.Load(Path.GetFullPath(oidcFile, environment.CurrentDirectory), Environment.GetEnvironmentVariable) };
                }

                host = await ServerHost.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            await using (host.ConfigureAwait(false))
            {
                var stdout = parse.InvocationConfiguration.Output;
                await stdout.WriteLineAsync($"rampart server listening on {host.Address} (data {options.DataDirectory}, {(options.Database is null ? "SQLite" : "PostgreSQL")})").ConfigureAwait(false);
                var initial = Path.Combine(options.DataDirectory, "initial-admin-password");
                if (File.Exists(initial))
                {
                    await stdout.WriteLineAsync($"first administrator 'admin': password in {initial} (enrol TOTP, then delete the file)").ConfigureAwait(false);
                }

                try
                {
                    await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return Core.ExitCodes.Clean;
        });
        return command;
    }
}
