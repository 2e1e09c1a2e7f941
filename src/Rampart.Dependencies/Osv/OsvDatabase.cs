using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rampart.Core;
using Rampart.Dependencies.Pep440;

namespace Rampart.Dependencies.Osv;

/// <summary>What an import did.</summary>
public sealed record OsvImportSummary(int Imported, int Withdrawn, int NotPyPI, ImmutableArray<string> Problems);

/// <summary>What the database holds.</summary>
public sealed record OsvDatabaseInfo(string Path, int Advisories, int Packages, string? Source, string? ImportedAt, int WithdrawnSkipped, string? NewestModified);

/// <summary>Raised when the database file is missing, unreadable, or not a Rampart advisory database.</summary>
public sealed class OsvDatabaseException : Exception
{
    public OsvDatabaseException()
    {
    }

    public OsvDatabaseException(string message)
        : base(message)
    {
    }

    public OsvDatabaseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The offline advisory database: OSV advisories for PyPI in one SQLite file, indexed by PEP 503 normalised
/// package name. Imports replace the whole content in one transaction. Queries are cached per package, so a warm
/// database answers repeated audits from memory. Thread-safe for queries.
/// </summary>
public sealed class OsvDatabase : IDisposable
{
    public const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly ConcurrentDictionary<string, ImmutableArray<OsvAdvisory>> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private OsvDatabase(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// The database path: <paramref name="explicitPath"/> (--db), else RAMPART_DB, else $XDG_CACHE_HOME/rampart/osv.db,
    /// else ~/.cache/rampart/osv.db.
    /// </summary>
    public static string ResolvePath(string? explicitPath, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return System.IO.Path.GetFullPath(explicitPath);
        }

        if (environment("RAMPART_DB") is { Length: > 0 } fromEnv)
        {
            return System.IO.Path.GetFullPath(fromEnv);
        }

        var cache = environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(cache, "rampart", "osv.db");
    }

    /// <summary>Opens an existing database read-only.</summary>
    public static OsvDatabase Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new OsvDatabaseException($"no advisory database at {path} (create one with 'rampart db import PATH' or 'rampart db update')");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            connection.Open();
            var version = Scalar(connection, "SELECT value FROM meta WHERE key = 'schema'");
            if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw new OsvDatabaseException($"{path} is not a Rampart advisory database of schema {SchemaVersion} (found '{version ?? "none"}'); import it again");
            }
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new OsvDatabaseException($"{path} is not a readable advisory database: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        return new OsvDatabase(connection, path);
    }

    /// <summary>Imports a folder (recursively: *.json, *.yaml, *.yml) or a zip of OSV advisories into a new database file at <paramref name="path"/>.</summary>
    public static OsvImportSummary Import(string source, string path, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var advisories = new List<OsvAdvisory>();
        var problems = new List<string>();
        foreach (var (name, read) in Sources(source))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var bytes = read();
                var advisory = name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                    ? OsvParser.ParseJson(bytes)
                    : OsvParser.ParseYaml(Encoding.UTF8.GetString(bytes));
                advisories.Add(advisory);
            }
            catch (Exception e) when (e is FormatException or JsonException or YamlDotNet.Core.YamlException or InvalidDataException or IOException)
            {
                problems.Add($"{name}: {e.Message}");
            }
        }

        var withdrawn = advisories.Count(a => a.Withdrawn is not null);
        var notPyPI = advisories.Count(a => a.Withdrawn is null && a.Affected.IsEmpty);
        var kept = advisories.Where(a => a.Withdrawn is null && !a.Affected.IsEmpty).GroupBy(a => a.Id, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        var temp = path + ".importing";
        File.Delete(temp);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
        {
            connection.Open();
            Execute(connection, """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE advisories (id TEXT PRIMARY KEY, summary TEXT NOT NULL, aliases TEXT NOT NULL, severity INTEGER NOT NULL,
                                         basis TEXT NOT NULL, modified TEXT);
                CREATE TABLE affected (advisory_id TEXT NOT NULL REFERENCES advisories(id), package TEXT NOT NULL,
                                       ranges TEXT NOT NULL, versions TEXT NOT NULL);
                CREATE INDEX affected_package ON affected(package);
                """);
            using var tx = connection.BeginTransaction();
            using (var insertAdvisory = connection.CreateCommand())
            using (var insertAffected = connection.CreateCommand())
            {
                insertAdvisory.Transaction = tx;
                insertAdvisory.CommandText = "INSERT INTO advisories VALUES ($id, $summary, $aliases, $severity, $basis, $modified)";
                insertAffected.Transaction = tx;
                insertAffected.CommandText = "INSERT INTO affected VALUES ($id, $package, $ranges, $versions)";
                foreach (var a in kept)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    insertAdvisory.Parameters.Clear();
                    insertAdvisory.Parameters.AddWithValue("$id", a.Id);
                    insertAdvisory.Parameters.AddWithValue("$summary", a.Summary);
                    insertAdvisory.Parameters.AddWithValue("$aliases", string.Join('\n', a.Aliases));
                    insertAdvisory.Parameters.AddWithValue("$severity", (int)a.Severity);
                    insertAdvisory.Parameters.AddWithValue("$basis", a.SeverityBasis);
                    insertAdvisory.Parameters.AddWithValue("$modified", (object?)a.Modified ?? DBNull.Value);
                    insertAdvisory.ExecuteNonQuery();
                    foreach (var f in a.Affected)
                    {
                        insertAffected.Parameters.Clear();
                        insertAffected.Parameters.AddWithValue("$id", a.Id);
                        insertAffected.Parameters.AddWithValue("$package", f.Package);
                        insertAffected.Parameters.AddWithValue("$ranges", JsonSerializer.Serialize(f.Ranges.Select(r => r.Select(e => new[] { e.Kind, e.Version }).ToArray()).ToArray()));
                        insertAffected.Parameters.AddWithValue("$versions", JsonSerializer.Serialize(f.Versions.ToArray()));
                        insertAffected.ExecuteNonQuery();
                    }
                }

                using var meta = connection.CreateCommand();
                meta.Transaction = tx;
                meta.CommandText = "INSERT INTO meta VALUES ($k, $v)";
                foreach (var (k, v) in new[]
                {
                    ("schema", SchemaVersion.ToString(CultureInfo.InvariantCulture)),
                    ("source", System.IO.Path.GetFullPath(source)),
                    ("imported_at", time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
                    ("withdrawn_skipped", withdrawn.ToString(CultureInfo.InvariantCulture)),
                    ("newest_modified", kept.Select(a => a.Modified).Where(m => m is not null).Max(StringComparer.Ordinal) ?? ""),
                })
                {
                    meta.Parameters.Clear();
                    meta.Parameters.AddWithValue("$k", k);
                    meta.Parameters.AddWithValue("$v", v);
                    meta.ExecuteNonQuery();
                }
            }

            tx.Commit();
        }

        File.Move(temp, path, overwrite: true);
        return new OsvImportSummary(kept.Count, withdrawn, notPyPI, [.. problems]);
    }

    private static IEnumerable<(string Name, Func<byte[]> Read)> Sources(string source)
    {
        if (Directory.Exists(source))
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                .Where(IsAdvisoryName).Order(StringComparer.Ordinal))
            {
                yield return (file, () => new FileInfo(file).Length > OsvParser.MaxAdvisoryBytes
                    ? throw new InvalidDataException($"larger than {OsvParser.MaxAdvisoryBytes:N0} bytes")
                    : File.ReadAllBytes(file));
            }

            yield break;
        }

        if (!File.Exists(source))
        {
            throw new OsvDatabaseException($"'{source}' is neither a folder nor a zip file of OSV advisories");
        }

        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(source);
        }
        catch (InvalidDataException e)
        {
            throw new OsvDatabaseException($"'{source}' is not a zip file of OSV advisories: {e.Message}", e);
        }

        using (zip)
        {
            foreach (var entry in zip.Entries.Where(e => IsAdvisoryName(e.FullName)))
            {
                yield return (source + "!/" + entry.FullName, () =>
                {
                    if (entry.Length > OsvParser.MaxAdvisoryBytes)
                    {
                        throw new InvalidDataException($"larger than {OsvParser.MaxAdvisoryBytes:N0} bytes");
                    }

                    using var stream = entry.Open();
                    using var copy = new MemoryStream();
                    stream.CopyTo(copy);
                    return copy.ToArray();
                });
            }
        }
    }

    private static bool IsAdvisoryName(string name) =>
        name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Advisories naming <paramref name="package"/> (any spelling; normalised here).</summary>
    public ImmutableArray<OsvAdvisory> ForPackage(string package)
    {
        var key = PackageName.Normalize(package);
        return _cache.GetOrAdd(key, Load);
    }

    /// <summary>Every advisory affecting this exact version, ordered by id.</summary>
    public ImmutableArray<AdvisoryMatch> Query(string package, string version)
    {
        var normalized = PackageName.Normalize(package);
        var parsed = PythonVersion.TryParse(version, out var v) ? v : null;
        return [.. ForPackage(normalized).Select(a => OsvMatcher.Match(a, normalized, version, parsed)).OfType<AdvisoryMatch>().OrderBy(m => m.Advisory.Id, StringComparer.Ordinal)];
    }

    private ImmutableArray<OsvAdvisory> Load(string package)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT a.id, a.summary, a.aliases, a.severity, a.basis, a.modified, f.ranges, f.versions
                FROM affected f JOIN advisories a ON a.id = f.advisory_id WHERE f.package = $p ORDER BY a.id
                """;
            command.Parameters.AddWithValue("$p", package);
            using var reader = command.ExecuteReader();
            var byId = new Dictionary<string, OsvAdvisory>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var id = reader.GetString(0);
                var ranges = JsonSerializer.Deserialize<string[][][]>(reader.GetString(6)) ?? [];
                var affected = new OsvAffected(package,
                    [.. ranges.Select(r => r.Select(e => new OsvEvent(e[0], e[1])).ToImmutableArray())],
                    [.. JsonSerializer.Deserialize<string[]>(reader.GetString(7)) ?? []]);
                byId[id] = byId.TryGetValue(id, out var existing)
                    ? existing with { Affected = existing.Affected.Add(affected) }
                    : new OsvAdvisory(id, reader.GetString(1), [.. reader.GetString(2).Split('\n', StringSplitOptions.RemoveEmptyEntries)],
                        (Severity)reader.GetInt32(3), reader.GetString(4), null, reader.IsDBNull(5) ? null : reader.GetString(5), [affected]);
            }

            return [.. byId.Values];
        }
    }

    public OsvDatabaseInfo Info()
    {
        lock (_gate)
        {
            return new OsvDatabaseInfo(
                Path,
                int.Parse(Scalar(_connection, "SELECT COUNT(*) FROM advisories") ?? "0", CultureInfo.InvariantCulture),
                int.Parse(Scalar(_connection, "SELECT COUNT(DISTINCT package) FROM affected") ?? "0", CultureInfo.InvariantCulture),
                Scalar(_connection, "SELECT value FROM meta WHERE key = 'source'"),
                Scalar(_connection, "SELECT value FROM meta WHERE key = 'imported_at'"),
                int.Parse(Scalar(_connection, "SELECT value FROM meta WHERE key = 'withdrawn_skipped'") ?? "0", CultureInfo.InvariantCulture),
                Scalar(_connection, "SELECT value FROM meta WHERE key = 'newest_modified'"));
        }
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
