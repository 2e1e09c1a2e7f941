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
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var value = await ScalarAsync(connection, null, "SELECT value FROM ledger_meta WHERE key = 'origin'", cancellationToken).ConfigureAwait(false);
                return value as string ?? throw new ProvenanceException($"{Description} is not an initialised ledger (no origin); run 'rampart ledger init'");
            }
            catch (DbException e)
            {
                throw new ProvenanceException($"{Description} is not a Rampart ledger ({e.Message.Trim()}); run 'rampart ledger init'", e);
            }
        }
    }

    public Task<LedgerEntry> AppendAsync(Func<long, LedgerEntry> build, CancellationToken cancellationToken) =>
        WithRetryAsync(() => AppendOnceAsync(build, cancellationToken), cancellationToken);

    private async Task<LedgerEntry> AppendOnceAsync(Func<long, LedgerEntry> build, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginAppendAsync(connection, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var max = await ScalarAsync(connection, transaction, "SELECT MAX(seq) FROM ledger_entries", cancellationToken).ConfigureAwait(false);
                var size = max is null or DBNull ? 0 : Convert.ToInt64(max, System.Globalization.CultureInfo.InvariantCulture) + 1;
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

                    var left = await ScalarAsync(connection, transaction, "SELECT hash FROM ledger_nodes WHERE level = @l AND idx = @i", cancellationToken,
                        ("@l", level), ("@i", index - 1)).ConfigureAwait(false) as byte[]
                        ?? throw new ProvenanceException($"{Description}: Merkle node {level}/{index - 1} is missing; run 'rampart ledger verify'");
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
            var max = await ScalarAsync(connection, null, "SELECT MAX(seq) FROM ledger_entries", cancellationToken).ConfigureAwait(false);
            return max is null or DBNull ? 0 : Convert.ToInt64(max, System.Globalization.CultureInfo.InvariantCulture) + 1;
        }
    }

    public async IAsyncEnumerable<LedgerEntry> ReadEntriesAsync(long from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, "SELECT seq, record, signature, leaf_hash FROM ledger_entries WHERE seq >= @f ORDER BY seq", ("@f", from));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return new LedgerEntry(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3));
                    }
                }
            }
        }
    }

    public async Task<LedgerEntry?> GetEntryAsync(long sequence, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, "SELECT seq, record, signature, leaf_hash FROM ledger_entries WHERE seq = @s", ("@s", sequence));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                        ? new LedgerEntry(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3))
                        : null;
                }
            }
        }
    }

    public async Task<IReadOnlyDictionary<NodeId, byte[]>> GetNodesAsync(IReadOnlyCollection<NodeId> nodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var result = new Dictionary<NodeId, byte[]>();
        if (nodes.Count == 0)
        {
            return result;
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var list = nodes.ToList();
            var where = string.Join(" OR ", list.Select((_, i) => $"(level = @l{i} AND idx = @i{i})"));
            var parameters = list.SelectMany((n, i) => new (string, object)[] { ($"@l{i}", n.Level), ($"@i{i}", n.Index) }).ToArray();
            var command = Command(connection, null, $"SELECT level, idx, hash FROM ledger_nodes WHERE {where}", parameters);
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        result[new NodeId(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(1))] = (byte[])reader.GetValue(2);
                    }
                }
            }
        }

        return result;
    }

    public async IAsyncEnumerable<(NodeId Id, byte[] Hash)> ReadNodesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, "SELECT level, idx, hash FROM ledger_nodes ORDER BY level, idx");
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return (new NodeId(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(1)), (byte[])reader.GetValue(2));
                    }
                }
            }
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

    public async Task<IReadOnlyList<StoredCheckpoint>> GetCheckpointsAsync(CancellationToken cancellationToken)
    {
        var list = new List<StoredCheckpoint>();
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, "SELECT size, root, note, public_key FROM ledger_checkpoints ORDER BY size");
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        list.Add(new StoredCheckpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), (byte[])reader.GetValue(3)));
                    }
                }
            }
        }

        return list;
    }

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
