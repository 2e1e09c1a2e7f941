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

    /// <summary>The number of entries (one more than the highest sequence number).</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken);

    /// <summary>Entries in sequence order from <paramref name="from"/>.</summary>
    IAsyncEnumerable<LedgerEntry> ReadEntriesAsync(long from, CancellationToken cancellationToken);

    /// <summary>One entry, or null.</summary>
    Task<LedgerEntry?> GetEntryAsync(long sequence, CancellationToken cancellationToken);

    /// <summary>The stored hashes of the given perfect subtrees, in one round trip; missing nodes are absent from the answer.</summary>
    Task<IReadOnlyDictionary<NodeId, byte[]>> GetNodesAsync(IReadOnlyCollection<NodeId> nodes, CancellationToken cancellationToken);

    /// <summary>Every stored node.</summary>
    IAsyncEnumerable<(NodeId Id, byte[] Hash)> ReadNodesAsync(CancellationToken cancellationToken);

    /// <summary>Stores a signed checkpoint (replacing one of the same size).</summary>
    Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Every stored checkpoint, smallest first.</summary>
    Task<IReadOnlyList<StoredCheckpoint>> GetCheckpointsAsync(CancellationToken cancellationToken);
}
