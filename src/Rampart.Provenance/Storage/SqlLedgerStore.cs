using System.Data.Common;
using System.Runtime.CompilerServices;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;

namespace Rampart.Provenance.Storage;

/// <summary>
/// The ledger tables over ADO.NET, shared by SQLite and PostgreSQL. Tables: entries(seq, record, signature,
/// leaf_hash), nodes(level, idx, hash) (every perfect subtree, written at append time), checkpoints(size, root,
/// note, public_key), meta(key, value). The subclasses decide how an append transaction excludes other writers.
/// </summary>
internal abstract class SqlLedgerStore : ILedgerStore
{
    public abstract string Description { get; }

    protected abstract string BlobType { get; }

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction in which this connection is the only writer of the log.</summary>
    protected abstract ValueTask<DbTransaction> BeginAppendAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Begins a read-only transaction whose reads all see the log as it was at its first read.</summary>
    protected abstract ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="append"/>, retrying when the database reports a transient conflict.</summary>
    protected virtual Task<T> WithRetryAsync<T>(Func<Task<T>> append, CancellationToken cancellationToken) => append();

    public async Task InitializeAsync(string origin, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            foreach (var sql in new[]
            {
                $"CREATE TABLE IF NOT EXISTS ledger_entries (seq BIGINT PRIMARY KEY, record TEXT NOT NULL, signature {BlobType} NOT NULL, leaf_hash {BlobType} NOT NULL)",
                $"CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash {BlobType} NOT NULL, PRIMARY KEY (level, idx))",
                $"CREATE TABLE IF NOT EXISTS ledger_checkpoints (size BIGINT PRIMARY KEY, root {BlobType} NOT NULL, note TEXT NOT NULL, public_key {BlobType} NOT NULL)",
                "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            })
            {
                await ExecuteAsync(connection, null, sql, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, null, "INSERT INTO ledger_meta (key, value) VALUES ('origin', @v) ON CONFLICT (key) DO NOTHING", cancellationToken, ("@v", origin)).ConfigureAwait(false);
        }
    }

    public async Task<string> GetOriginAsync(CancellationToken cancellationToken)
    {
        var values = new List<object?>();
        try
        {
            await foreach (var value in RowsAsync("SELECT value FROM ledger_meta WHERE key = 'origin'", r => Value(r, 0), cancellationToken).ConfigureAwait(false))
            {
                values.Add(value);
            }
        }
        catch (LedgerDamagedException e) when (e.InnerException is DbException inner)
        {
            throw new ProvenanceException($"{Description} is not a Rampart ledger ({inner.Message.Trim()}); run 'rampart ledger init'", e);
        }

        var problems = new StoredValue.Problems();
        return values.Count switch
        {
            0 => throw new ProvenanceException($"{Description} is not an initialised ledger (no origin); run 'rampart ledger init'"),
            1 => problems.Text(values[0], "the origin in ledger_meta") ?? throw new LedgerDamagedException($"{Description}: {problems.Summary}"),
            _ => throw new LedgerDamagedException($"{Description}: the origin is stored {values.Count} times in ledger_meta"),
        };
    }

    public async Task<LedgerEntry> AppendAsync(Func<long, LedgerEntry> build, CancellationToken cancellationToken)
    {
        try
        {
            return await WithRetryAsync(() => AppendOnceAsync(build, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new ProvenanceException($"cannot append to {Description}: {e.Message.Trim()}", e);
        }
    }

    private async Task<LedgerEntry> AppendOnceAsync(Func<long, LedgerEntry> build, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginAppendAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var size = SizeFrom(await ScalarAsync(connection, transaction, "SELECT MAX(seq) FROM ledger_entries", cancellationToken).ConfigureAwait(false));
                var entry = build(size);
                await ExecuteAsync(connection, transaction, "INSERT INTO ledger_entries (seq, record, signature, leaf_hash) VALUES (@s, @r, @g, @h)", cancellationToken,
                    ("@s", size), ("@r", entry.RecordJson), ("@g", entry.Signature), ("@h", entry.LeafHash)).ConfigureAwait(false);
                var level = 0;
                var index = size;
                var hash = entry.LeafHash;
                while (true)
                {
                    await ExecuteAsync(connection, transaction, "INSERT INTO ledger_nodes (level, idx, hash) VALUES (@l, @i, @h)", cancellationToken,
                        ("@l", level), ("@i", index), ("@h", hash)).ConfigureAwait(false);
                    if ((index & 1) == 0)
                    {
                        break;
                    }

                    var stored = await ScalarAsync(connection, transaction, "SELECT hash FROM ledger_nodes WHERE level = @l AND idx = @i", cancellationToken,
                        ("@l", level), ("@i", index - 1)).ConfigureAwait(false);
                    var node = StoredValue.Node(level, index - 1, stored);
                    var left = stored is null
                        ? throw new ProvenanceException($"{Description}: Merkle node {level}/{index - 1} is missing; run 'rampart ledger verify'")
                        : node.Hash ?? throw new LedgerDamagedException($"{Description}: {node.Name}: {node.Problem}; run 'rampart ledger verify'");
                    hash = MerkleHash.Node(left, hash);
                    level++;
                    index >>= 1;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return entry;
            }
        }
    }

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            object? max;
            try
            {
                max = await ScalarAsync(connection, null, "SELECT MAX(seq) FROM ledger_entries", cancellationToken).ConfigureAwait(false);
            }
            catch (DbException e)
            {
                throw Unreadable(e);
            }

            return SizeFrom(max);
        }
    }

    public IAsyncEnumerable<EntryRow> ReadEntryRowsAsync(CancellationToken cancellationToken) =>
        RowsAsync(EntryRowsSql, EntryRow, cancellationToken);

    public async Task<LedgerEntry?> GetEntryAsync(long sequence, CancellationToken cancellationToken)
    {
        var rows = new List<EntryRow>();
        await foreach (var row in RowsAsync("SELECT seq, record, signature, leaf_hash FROM ledger_entries WHERE seq = @s", EntryRow, cancellationToken, ("@s", sequence)).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows.Count switch
        {
            0 => null,
            1 => rows[0].ToEntry(),
            _ => throw new LedgerDamagedException($"entry {sequence} is stored {rows.Count} times; run 'rampart ledger verify'"),
        };
    }

    public async Task<IReadOnlyDictionary<NodeId, byte[]>> GetNodesAsync(IReadOnlyCollection<NodeId> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var result = new Dictionary<NodeId, byte[]>();
        if (nodes.Count == 0)
        {
            return result;
        }

        var list = nodes.ToList();
        var where = string.Join(" OR ", list.Select((_, i) => $"(level = @l{i} AND idx = @i{i})"));
        var parameters = list.SelectMany((n, i) => new (string, object)[] { ($"@l{i}", n.Level), ($"@i{i}", n.Index) }).ToArray();
        await foreach (var row in RowsAsync($"SELECT level, idx, hash FROM ledger_nodes WHERE {where}", NodeRow, cancellationToken, parameters).ConfigureAwait(false))
        {
            var id = row.Id ?? throw new LedgerDamagedException($"{row.Name}: {row.Problem}; run 'rampart ledger verify'");
            if (!result.TryAdd(id, row.Hash!))
            {
                throw new LedgerDamagedException($"{row.Name} is stored more than once; run 'rampart ledger verify'");
            }
        }

        return result;
    }

    public IAsyncEnumerable<NodeRow> ReadNodeRowsAsync(CancellationToken cancellationToken) =>
        RowsAsync(NodeRowsSql, NodeRow, cancellationToken);

    public async Task<ILedgerSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new Snapshot(this, connection, await BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false));
        }
        catch (DbException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Unreadable(e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, null,
                "INSERT INTO ledger_checkpoints (size, root, note, public_key) VALUES (@s, @r, @n, @k) ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = excluded.note, public_key = excluded.public_key",
                cancellationToken, ("@s", checkpoint.Size), ("@r", checkpoint.Root), ("@n", checkpoint.Note), ("@k", checkpoint.PublicKey)).ConfigureAwait(false);
        }
    }

    public Task<IReadOnlyList<CheckpointRow>> GetCheckpointsAsync(CancellationToken cancellationToken) => CheckpointsAsync(null, cancellationToken);

    private const string EntryRowsSql = "SELECT seq, record, signature, leaf_hash FROM ledger_entries ORDER BY seq";

    private const string NodeRowsSql = "SELECT level, idx, hash FROM ledger_nodes ORDER BY level, idx";

    private async Task<IReadOnlyList<CheckpointRow>> CheckpointsAsync((DbConnection, DbTransaction)? shared, CancellationToken cancellationToken)
    {
        var list = new List<CheckpointRow>();
        await foreach (var row in RowsAsync(shared, "SELECT size, root, note, public_key FROM ledger_checkpoints ORDER BY size", CheckpointRow, cancellationToken).ConfigureAwait(false))
        {
            list.Add(row);
        }

        return list;
    }

    /// <summary>One connection in one read transaction; disposing it ends the transaction (nothing was written).</summary>
    private sealed class Snapshot(SqlLedgerStore store, DbConnection connection, DbTransaction transaction) : ILedgerSnapshot
    {
        public IAsyncEnumerable<EntryRow> ReadEntryRowsAsync(CancellationToken cancellationToken) =>
            store.RowsAsync((connection, transaction), EntryRowsSql, EntryRow, cancellationToken);

        public IAsyncEnumerable<NodeRow> ReadNodeRowsAsync(CancellationToken cancellationToken) =>
            store.RowsAsync((connection, transaction), NodeRowsSql, NodeRow, cancellationToken);

        public Task<IReadOnlyList<CheckpointRow>> GetCheckpointsAsync(CancellationToken cancellationToken) =>
            store.CheckpointsAsync((connection, transaction), cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static EntryRow EntryRow(DbDataReader reader) => StoredValue.Entry(Value(reader, 0), Value(reader, 1), Value(reader, 2), Value(reader, 3));

    private static NodeRow NodeRow(DbDataReader reader) => StoredValue.Node(Value(reader, 0), Value(reader, 1), Value(reader, 2));

    private static CheckpointRow CheckpointRow(DbDataReader reader) => StoredValue.Checkpoint(Value(reader, 0), Value(reader, 1), Value(reader, 2), Value(reader, 3));

    /// <summary>The value as the database stores it (no conversion); a value the driver cannot represent is reported, not thrown.</summary>
    private static object? Value(DbDataReader reader, int ordinal)
    {
        try
        {
            return reader.GetValue(ordinal);
        }
        catch (Exception e) when (e is InvalidCastException or NotSupportedException or InvalidOperationException or OverflowException or ArgumentException)
        {
            return new StoredValue.Unreadable(reader.GetDataTypeName(ordinal));
        }
    }

    /// <summary>One more than the highest stored entry number; a highest value that is not an integer means the table was edited.</summary>
    private long SizeFrom(object? max)
    {
        if (max is null or DBNull)
        {
            return 0;
        }

        var problems = new StoredValue.Problems();
        var highest = problems.Integer(max, "the highest seq in ledger_entries", long.MinValue, long.MaxValue - 1);
        return problems.Summary is null
            ? Math.Max(0, highest!.Value + 1)
            : throw new LedgerDamagedException($"{Description}: {problems.Summary}; run 'rampart ledger verify'");
    }

    /// <summary>Every row a query returns, decoded by <paramref name="decode"/>; a database error becomes a <see cref="LedgerDamagedException"/>.</summary>
    private IAsyncEnumerable<T> RowsAsync<T>(string sql, Func<DbDataReader, T> decode, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        RowsAsync(null, sql, decode, cancellationToken, parameters);

    /// <summary>As above, on <paramref name="shared"/> (a snapshot's connection and transaction, left open) or else on a connection of its own.</summary>
    private async IAsyncEnumerable<T> RowsAsync<T>((DbConnection Connection, DbTransaction Transaction)? shared, string sql, Func<DbDataReader, T> decode, [EnumeratorCancellation] CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var connection = shared?.Connection ?? await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = Command(connection, shared?.Transaction, sql, parameters);
            await using (command.ConfigureAwait(false))
            {
                DbDataReader reader;
                try
                {
                    reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DbException e)
                {
                    throw Unreadable(e);
                }

                await using (reader.ConfigureAwait(false))
                {
                    while (true)
                    {
                        try
                        {
                            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                            {
                                break;
                            }
                        }
                        catch (DbException e)
                        {
                            throw Unreadable(e);
                        }

                        yield return decode(reader);
                    }
                }
            }
        }
        finally
        {
            if (shared is null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private LedgerDamagedException Unreadable(DbException e) =>
        new($"{Description}: the ledger tables cannot be read as Rampart wrote them ({System.Text.RegularExpressions.Regex.Replace(e.Message, @"\s+", " ").Trim()}); run 'rampart ledger verify'", e);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL text is fixed by this class; values always go in parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    protected static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = Command(connection, transaction, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = Command(connection, transaction, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
