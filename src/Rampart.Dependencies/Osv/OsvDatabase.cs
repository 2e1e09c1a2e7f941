using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rampart.Core;
using Rampart.Dependencies.Pep440;
using Rampart.Core.IO;

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
/// package name, and every version an advisory lists indexed by package and PEP 440 equality key. A query reads
/// only the package's advisories without their versions lists (a few ranges each), and asks the index whether the
/// version is listed: nothing is parsed that the answer does not need. Packages no advisory names are answered from
/// one set read at the first query. Imports replace the whole content in one transaction. Thread-safe for queries.
/// </summary>
public sealed class OsvDatabase : IDisposable
{
    /// <summary>2: versions lists indexed in 'listed' by equality key; ranges read without reflection.</summary>
    public const int SchemaVersion = 2;

    private readonly SqliteConnection _connection;
    private readonly ConcurrentDictionary<string, ImmutableArray<OsvAdvisory>> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private HashSet<string>? _packages;
    private SqliteCommand? _advisoriesOf;
    private SqliteCommand? _listedIn;

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
                CREATE TABLE listed (package TEXT NOT NULL, version_key TEXT NOT NULL, advisory_id TEXT NOT NULL);
                CREATE INDEX listed_lookup ON listed(package, version_key);
                """);
            using var tx = connection.BeginTransaction();
            using (var insertAdvisory = connection.CreateCommand())
            using (var insertAffected = connection.CreateCommand())
            using (var insertListed = connection.CreateCommand())
            {
                insertListed.Transaction = tx;
                insertListed.CommandText = "INSERT INTO listed VALUES ($package, $key, $id)";
                var package = insertListed.Parameters.Add("$package", SqliteType.Text);
                var key = insertListed.Parameters.Add("$key", SqliteType.Text);
                var listedId = insertListed.Parameters.Add("$id", SqliteType.Text);
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
                        insertAffected.Parameters.AddWithValue("$ranges", JsonSerializer.Serialize(f.Ranges.Select(r => r.Select(e => new[] { e.Kind, e.Version }).ToArray()).ToArray(), OsvJsonContext.Default.StringArrayArrayArray));
                        insertAffected.Parameters.AddWithValue("$versions", JsonSerializer.Serialize(f.Versions.ToArray(), OsvJsonContext.Default.StringArray));
                        insertAffected.ExecuteNonQuery();
                        foreach (var versionKey in f.Versions.Select(ListedKey).Distinct(StringComparer.Ordinal))
                        {
                            (package.Value, key.Value, listedId.Value) = (f.Package, versionKey, a.Id);
                            insertListed.ExecuteNonQuery();
                        }
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
                    : BoundedFile.ReadAllBytes(file, OsvParser.MaxAdvisoryBytes));
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

    // The key under which a listed version is indexed: its PEP 440 equality key, or the exact text of a version
    // that is not PEP 440 (which then matches only itself).
    private static string ListedKey(string version) => PythonVersion.TryParse(version, out var v) ? v.EqualityKey : "=" + version;

    /// <summary>Advisories naming <paramref name="package"/> (any spelling; normalised here), with their versions lists.</summary>
    public ImmutableArray<OsvAdvisory> ForPackage(string package) => Load(PackageName.Normalize(package), withVersions: true);

    /// <summary>Every advisory affecting this exact version, ordered by id.</summary>
    public ImmutableArray<AdvisoryMatch> Query(string package, string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var normalized = PackageName.Normalize(package);
        if (!Packages().Contains(normalized))
        {
            return [];
        }

        var advisories = _cache.GetOrAdd(normalized, p => Load(p, withVersions: false));
        var parsed = PythonVersion.TryParse(version, out var v) ? v : null;
        var listed = ListedIn(normalized, version, parsed);
        return [.. advisories.Select(a => OsvMatcher.Match(a, normalized, version, parsed, listed.Contains(a.Id))).OfType<AdvisoryMatch>().OrderBy(m => m.Advisory.Id, StringComparer.Ordinal)];
    }

    // Every package some advisory names, read once (a few thousand names).
    private HashSet<string> Packages()
    {
        lock (_gate)
        {
            if (_packages is null)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "SELECT DISTINCT package FROM affected";
                using var reader = command.ExecuteReader();
                var names = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read())
                {
                    names.Add(reader.GetString(0));
                }

                _packages = names;
            }

            return _packages;
        }
    }

    // The advisories whose versions list holds this version (by its text, or PEP 440 equality), from the index.
    private HashSet<string> ListedIn(string package, string version, PythonVersion? parsed)
    {
        lock (_gate)
        {
            if (_listedIn is null)
            {
                _listedIn = _connection.CreateCommand();
                _listedIn.CommandText = "SELECT advisory_id FROM listed WHERE package = $p AND version_key IN ($k, $raw)";
                _listedIn.Parameters.Add("$p", SqliteType.Text);
                _listedIn.Parameters.Add("$k", SqliteType.Text);
                _listedIn.Parameters.Add("$raw", SqliteType.Text);
                _listedIn.Prepare();
            }

            _listedIn.Parameters[0].Value = package;
            _listedIn.Parameters[1].Value = parsed?.EqualityKey ?? "=" + version;
            _listedIn.Parameters[2].Value = "=" + version;
            using var reader = _listedIn.ExecuteReader();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }
    }

    private ImmutableArray<OsvAdvisory> Load(string package, bool withVersions)
    {
        lock (_gate)
        {
            if (_advisoriesOf is null)
            {
                _advisoriesOf = _connection.CreateCommand();
                _advisoriesOf.CommandText = """
                    SELECT a.id, a.summary, a.aliases, a.severity, a.basis, a.modified, f.ranges, f.versions
                    FROM affected f JOIN advisories a ON a.id = f.advisory_id WHERE f.package = $p ORDER BY a.id
                    """;
                _advisoriesOf.Parameters.Add("$p", SqliteType.Text);
                _advisoriesOf.Prepare();
            }

            _advisoriesOf.Parameters[0].Value = package;
            using var reader = _advisoriesOf.ExecuteReader();
            var byId = new Dictionary<string, OsvAdvisory>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var id = reader.GetString(0);
                var affected = new OsvAffected(package, ReadRanges(reader.GetString(6)), withVersions ? ReadStrings(reader.GetString(7)) : []);
                byId[id] = byId.TryGetValue(id, out var existing)
                    ? existing with { Affected = existing.Affected.Add(affected) }
                    : new OsvAdvisory(id, reader.GetString(1), [.. reader.GetString(2).Split('\n', StringSplitOptions.RemoveEmptyEntries)],
                        (Severity)reader.GetInt32(3), reader.GetString(4), null, reader.IsDBNull(5) ? null : reader.GetString(5), [affected]);
            }

            return [.. byId.Values];
        }
    }

    // [[["introduced","0"],["fixed","1.2"]], ...] as written by Import, read without reflection-based serialisation
    // (its start-up cost was most of what one pinned requirement cost).
    private static ImmutableArray<ImmutableArray<OsvEvent>> ReadRanges(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var ranges = ImmutableArray.CreateBuilder<ImmutableArray<OsvEvent>>();
        foreach (var range in doc.RootElement.EnumerateArray())
        {
            var events = ImmutableArray.CreateBuilder<OsvEvent>();
            foreach (var e in range.EnumerateArray())
            {
                events.Add(new OsvEvent(e[0].GetString()!, e[1].GetString()!));
            }

            ranges.Add(events.ToImmutable());
        }

        return ranges.ToImmutable();
    }

    private static ImmutableArray<string> ReadStrings(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetString()!)];
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

    public void Dispose()
    {
        _advisoriesOf?.Dispose();
        _listedIn?.Dispose();
        _connection.Dispose();
    }
}

/// <summary>Source-generated serialization of the JSON columns (no reflection: the NativeAOT build needs none).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string[][][]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class OsvJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
