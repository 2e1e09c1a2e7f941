using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;

namespace Rampart.Provenance.Storage;

/// <summary>A signed tree head as stored: its size, root, the signed note text and the signer's public key (SPKI).</summary>
public sealed record StoredCheckpoint(long Size, byte[] Root, string Note, byte[] PublicKey);

/// <summary>
/// Where the log lives. Appends are serialized by the store (one writer at a time, inside one transaction that
/// numbers the entry, inserts it and every Merkle node it completes), so concurrent writers never fork the log.
/// </summary>
public interface ILedgerStore : IAsyncDisposable
{
    /// <summary>A short description for messages ("sqlite:/path", "postgres:host/db").</summary>
    string Description { get; }

    /// <summary>Creates the tables if they are missing and records the log's origin; idempotent.</summary>
    Task InitializeAsync(string origin, CancellationToken cancellationToken);

    /// <summary>The log's origin line (checkpoint name); throws <see cref="ProvenanceException"/> when the store was never initialised.</summary>
    Task<string> GetOriginAsync(CancellationToken cancellationToken);

    /// <summary>Appends the entry that <paramref name="build"/> makes for the next sequence number, with its tree nodes, atomically.</summary>
    Task<LedgerEntry> AppendAsync(Func<long, LedgerEntry> build, CancellationToken cancellationToken);

    /// <summary>The number of entries (one more than the highest sequence number); throws <see cref="LedgerDamagedException"/> when that number is not an integer.</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every row of the entries table, ordered by seq, whatever it holds: negative or duplicated numbers, and values of the
    /// wrong type or length (each row says what is wrong with it). Only a database that cannot be queried at all throws
    /// (<see cref="LedgerDamagedException"/>).
    /// </summary>
    IAsyncEnumerable<EntryRow> ReadEntryRowsAsync(CancellationToken cancellationToken);

    /// <summary>One entry, or null; throws <see cref="LedgerDamagedException"/> when its row is malformed or stored twice.</summary>
    Task<LedgerEntry?> GetEntryAsync(long sequence, CancellationToken cancellationToken);

    /// <summary>
    /// The stored hashes of the given perfect subtrees, in one round trip; missing nodes are absent from the answer.
    /// Throws <see cref="LedgerDamagedException"/> when one of them is malformed or stored twice.
    /// </summary>
    Task<IReadOnlyDictionary<NodeId, byte[]>> GetNodesAsync(IReadOnlyCollection<NodeId> nodes, CancellationToken cancellationToken);

    /// <summary>Every row of the nodes table ordered by level and index, each saying what is wrong with it, if anything.</summary>
    IAsyncEnumerable<NodeRow> ReadNodeRowsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a signed checkpoint (replacing one of the same size).</summary>
    Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Every row of the checkpoints table, smallest first, each saying what is wrong with it, if anything.</summary>
    Task<IReadOnlyList<CheckpointRow>> GetCheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A read-only view of the log at one moment: entries, nodes and checkpoints read through it all belong to the
    /// same state, however many appends happen meanwhile (one read transaction: a WAL snapshot in SQLite, REPEATABLE
    /// READ in PostgreSQL). Verification reads through one, so a live ledger is checked as it was when reading began.
    /// </summary>
    Task<ILedgerSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken);
}

/// <summary>The rows of one consistent state of the log (see <see cref="ILedgerStore.OpenSnapshotAsync"/>); read its parts one after the other, not interleaved.</summary>
public interface ILedgerSnapshot : IAsyncDisposable
{
    /// <inheritdoc cref="ILedgerStore.ReadEntryRowsAsync"/>
    IAsyncEnumerable<EntryRow> ReadEntryRowsAsync(CancellationToken cancellationToken);

    /// <inheritdoc cref="ILedgerStore.ReadNodeRowsAsync"/>
    IAsyncEnumerable<NodeRow> ReadNodeRowsAsync(CancellationToken cancellationToken);

    /// <inheritdoc cref="ILedgerStore.GetCheckpointsAsync"/>
    Task<IReadOnlyList<CheckpointRow>> GetCheckpointsAsync(CancellationToken cancellationToken);
}
