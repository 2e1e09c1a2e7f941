using System.CommandLine;
using System.Globalization;
using System.Text;
using Rampart.Core;
using Rampart.Dependencies.Osv;

namespace Rampart.Cli.Commands;

/// <summary>rampart db import PATH | update | info: the offline advisory database (docs/commands/db.md).</summary>
internal static class DbCommand
{
    /// <summary>Where `rampart db update` downloads the PyPI advisories (OSV's public export); RAMPART_OSV_URL overrides.</summary>
    public const string DefaultUpdateUrl = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip";

    /// <summary>Largest download accepted.</summary>
    public const long MaxDownloadBytes = 1024L * 1024 * 1024;

    public static Command Create(CliEnvironment environment)
    {
        Option<string?> Db() => new("--db") { Description = "Database file (default: $RAMPART_DB, then the user's cache folder).", HelpName = "FILE" };

        var source = new Argument<string>("PATH") { Description = "A folder (searched recursively for *.json, *.yaml) or a zip of OSV advisories." };
        var importDb = Db();
        var import = new Command("import", "Build the advisory database from OSV advisories on disk (replaces its content).") { source, importDb };
        import.SetAction((parse, ct) => ImportAsync(environment, parse.GetValue(source)!, Resolve(parse.GetValue(importDb)), ct));

        var updateDb = Db();
        var update = new Command("update", $"Download the PyPI advisories ({DefaultUpdateUrl}) and import them. Needs the network.") { updateDb };
        update.SetAction((parse, ct) => UpdateAsync(environment, Resolve(parse.GetValue(updateDb)), ct));

        var infoDb = Db();
        var info = new Command("info", "Show where the database is, what it holds and when it was imported.") { infoDb };
        info.SetAction((parse, ct) => InfoAsync(environment, Resolve(parse.GetValue(infoDb)), ct));

        return new Command("db", "Manage the offline advisory database used by audit and scan.") { import, update, info };
    }

    private static string Resolve(string? path) => OsvDatabase.ResolvePath(path, Environment.GetEnvironmentVariable);

    private static async Task<int> ImportAsync(CliEnvironment environment, string source, string db, CancellationToken ct)
    {
        if (!File.Exists(source) && !Directory.Exists(source))
        {
            throw new UsageException($"'{source}' does not exist: give a folder or zip file of OSV advisories");
        }

        OsvImportSummary summary;
        try
        {
            summary = await Task.Run(() => OsvDatabase.Import(source, db, environment.Time, ct), ct).ConfigureAwait(false);
        }
        catch (OsvDatabaseException e)
        {
            throw new UsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new UsageException($"cannot write the database {db}: {e.Message}");
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"imported {summary.Imported:N0} advisories into {db}");
        text.AppendLine(CultureInfo.InvariantCulture, $"skipped {summary.Withdrawn:N0} withdrawn advisories and {summary.NotPyPI:N0} without PyPI packages");
        foreach (var problem in summary.Problems.Take(20))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"unreadable: {problem}");
        }

        if (summary.Problems.Length > 20)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"... and {summary.Problems.Length - 20:N0} more unreadable files");
        }

        await Write(environment, text.ToString(), ct).ConfigureAwait(false);
        return summary.Problems.IsEmpty ? ExitCodes.Clean : ExitCodes.Inconclusive;
    }

    private static async Task<int> UpdateAsync(CliEnvironment environment, string db, CancellationToken ct)
    {
        var url = Environment.GetEnvironmentVariable("RAMPART_OSV_URL") is { Length: > 0 } u ? u : DefaultUpdateUrl;
        var temp = Path.Combine(Path.GetTempPath(), $"rampart-osv-{Guid.NewGuid():N}.zip");
        try
        {
            using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) })
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                    response.EnsureSuccessStatusCode();
                    var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await using (body.ConfigureAwait(false))
                    {
                        var file = File.Create(temp);
                        await using (file.ConfigureAwait(false))
                        {
                            await new Scanning.IO.BoundedReadStream(body, MaxDownloadBytes, "the download").CopyToAsync(file, ct).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Scanning.IO.LimitExceededException)
                {
                    throw new UsageException($"cannot download advisories from {url}: {e.Message}. Offline? Copy all.zip from a connected machine and run 'rampart db import all.zip'");
                }
            }

            return await ImportAsync(environment, temp, db, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static async Task<int> InfoAsync(CliEnvironment environment, string db, CancellationToken ct)
    {
        OsvDatabaseInfo info;
        try
        {
            using var database = OsvDatabase.Open(db);
            info = database.Info();
        }
        catch (OsvDatabaseException e)
        {
            throw new UsageException(e.Message);
        }

        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"database:    {info.Path}")
            .AppendLine(CultureInfo.InvariantCulture, $"advisories:  {info.Advisories:N0} ({info.Packages:N0} packages; {info.WithdrawnSkipped:N0} withdrawn skipped)")
            .AppendLine(CultureInfo.InvariantCulture, $"imported:    {info.ImportedAt} from {info.Source}")
            .AppendLine(CultureInfo.InvariantCulture, $"newest:      {(string.IsNullOrEmpty(info.NewestModified) ? "unknown" : info.NewestModified)} (latest advisory change)");
        await Write(environment, text.ToString(), ct).ConfigureAwait(false);
        return ExitCodes.Clean;
    }

    private static async Task Write(CliEnvironment environment, string text, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await environment.Out.WriteAsync(bytes, ct).ConfigureAwait(false);
        await environment.Out.FlushAsync(ct).ConfigureAwait(false);
    }
}
