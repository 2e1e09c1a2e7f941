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
            builder = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(connectionString));
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

    /// <summary>REPEATABLE READ, read only: every statement sees the snapshot taken at the first one (an append's entry and nodes commit together).</summary>
    protected override async ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await ((NpgsqlConnection)connection).BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SET TRANSACTION READ ONLY", cancellationToken).ConfigureAwait(false);
        return transaction;
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
