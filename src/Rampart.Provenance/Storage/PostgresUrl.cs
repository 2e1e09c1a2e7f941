using Npgsql;

namespace Rampart.Provenance.Storage;

/// <summary>
/// PostgreSQL locations as Rampart accepts them on the command line: a URL (postgres://user:password@host:port/db?k=v)
/// or Npgsql's Key=Value text. One parser for the ledger and every host that shares its database (the server).
/// </summary>
public static class PostgresUrl
{
    /// <summary>Whether <paramref name="location"/> names a PostgreSQL database rather than a file.</summary>
    public static bool IsPostgres(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || (location.Contains("Host=", StringComparison.OrdinalIgnoreCase) && location.Contains(';', StringComparison.Ordinal));
    }

    /// <summary>postgres://user:password@host:port/database?k=v to Npgsql's Key=Value form; other text is passed through.</summary>
    /// <exception cref="ProvenanceException">The URL cannot be parsed.</exception>
    public static string ToConnectionString(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.Contains("://", StringComparison.Ordinal))
        {
            return location;
        }

        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri))
        {
            throw new ProvenanceException($"invalid PostgreSQL URL '{location}'");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            try
            {
                builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
            }
            catch (ArgumentException e)
            {
                throw new ProvenanceException($"invalid PostgreSQL URL parameter '{Uri.UnescapeDataString(kv[0])}': {e.Message}", e);
            }
        }

        return builder.ConnectionString;
    }
}
