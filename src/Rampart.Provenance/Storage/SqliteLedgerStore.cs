using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Rampart.Provenance.Storage;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode. An append runs in BEGIN IMMEDIATE, which takes SQLite's single
/// write lock before reading the log size, so two processes can never number two entries alike; a writer that finds
/// the lock taken waits (busy timeout) instead of failing.
/// </summary>
internal sealed class SqliteLedgerStore : SqlLedgerStore
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly bool _create;

    public SqliteLedgerStore(string path, bool create)
    {
        _path = Path.GetFullPath(path);
        _create = create;
        if (!create && !File.Exists(_path))
        {
            throw new ProvenanceException($"no ledger at '{path}'; create one with 'rampart ledger init --db {path}'");
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    public override string Description => $"sqlite:{_path}";

    protected override string BlobType => "BLOB";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = _create
                ? "PRAGMA busy_timeout = 60000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                : "PRAGMA busy_timeout = 60000; PRAGMA synchronous = NORMAL;";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ProvenanceException($"cannot open the ledger '{_path}': {e.Message}", e);
        }
    }

    protected override ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // deferred: true = plain BEGIN: no lock until the first SELECT, which fixes the snapshot every later read of the
        // transaction sees (in WAL mode writers go on meanwhile; in rollback-journal mode they wait for it to end).
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    protected override ValueTask<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // deferred: false = BEGIN IMMEDIATE: the write lock is taken before the size is read.
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));
}
