using System.Data.Common;
using Npgsql;

namespace Rampart.Provenance.Storage;

/// <summary>
/// The shared ledger in PostgreSQL. An append takes a transaction-scoped advisory lock (pg_advisory_xact_lock) before
/// reading the log size, so writers on any number of machines append one at a time; the lock is released by COMMIT
/// or ROLLBACK, so a crashed writer never blocks the others.
/// </summary>
internal sealed class PostgresLedgerStore : SqlLedgerStore
{
    /// <summary>The advisory lock key all Rampart writers agree on ("RAMPLDGR" as a 64-bit number).</summary>
    internal const long AppendLockKey = 0x52414D504C444752;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;

    public PostgresLedgerStore(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(ToKeyValue(connectionString));
        }
        catch (ArgumentException e)
        {
            throw new ProvenanceException($"invalid PostgreSQL connection string: {e.Message}", e);
        }

        _description = $"postgres:{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Description => _description;

    protected override string BlobType => "BYTEA";

    /// <summary>Whether <paramref name="location"/> names a PostgreSQL database rather than a file.</summary>
    public static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || (location.Contains("Host=", StringComparison.OrdinalIgnoreCase) && location.Contains(';', StringComparison.Ordinal));

    /// <summary>postgres://user:password@host:port/database?k=v to Npgsql's Key=Value form; other text is passed through.</summary>
    internal static string ToKeyValue(string location)
    {
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
            builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "true";
        }

        return builder.ConnectionString;
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw new ProvenanceException($"cannot connect to the ledger {_description}: {e.Message}", e);
        }
    }

    protected override async ValueTask<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@k)", cancellationToken, ("@k", AppendLockKey)).ConfigureAwait(false);
        return transaction;
    }

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
