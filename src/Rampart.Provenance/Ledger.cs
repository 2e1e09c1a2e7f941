using System.Security.Cryptography;
using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;
using Rampart.Provenance.Storage;

namespace Rampart.Provenance;

/// <summary>An inclusion proof: the leaf, its audit path and the root of the tree of <see cref="TreeSize"/> entries.</summary>
public sealed record InclusionProof(long Index, long TreeSize, byte[] LeafHash, IReadOnlyList<byte[]> Path, byte[] Root)
{
    /// <summary>Whether the proof holds.</summary>
    public bool Verify() => MerkleVerifier.VerifyInclusion(Index, TreeSize, LeafHash, Path, Root);
}

/// <summary>A consistency proof between two sizes of the log, with both roots.</summary>
public sealed record ConsistencyProof(long Size1, long Size2, byte[] Root1, byte[] Root2, IReadOnlyList<byte[]> Path)
{
    /// <summary>Whether the proof holds.</summary>
    public bool Verify() => MerkleVerifier.VerifyConsistency(Size1, Size2, Path, Root1, Root2);
}

/// <summary>
/// The provenance ledger: an append-only log of signed provenance records with a Merkle tree over it. The same
/// methods serve the command line and training scripts (docs/provenance.md):
/// <code>
/// await using var ledger = await Ledger.OpenAsync("ledger.db", LedgerSigner.FromPemFile("writer.pem", "ci"));
/// await ledger.RecordTrainingRunAsync(new TrainingRun("run-42", modelDigest) { Datasets = [dataDigest] });
/// </code>
/// </summary>
public sealed class Ledger : IAsyncDisposable
{
    /// <summary>Environment variable naming the ledger when no --db is given.</summary>
    public const string LocationVariable = "RAMPART_LEDGER";

    private readonly LedgerSigner? _signer;
    private readonly TimeProvider _time;

    private Ledger(ILedgerStore store, string origin, LedgerSigner? signer, TimeProvider time)
    {
        Store = store;
        Origin = origin;
        _signer = signer;
        _time = time;
    }

    /// <summary>Where the log lives.</summary>
    public ILedgerStore Store { get; }

    /// <summary>The log's name in its checkpoints.</summary>
    public string Origin { get; }

    /// <summary>Opens the store named by <paramref name="location"/>: a SQLite file path, or postgres://... / Npgsql "Host=...;..." text.</summary>
    public static ILedgerStore OpenStore(string location, bool create = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return PostgresUrl.IsPostgres(location) ? new PostgresLedgerStore(location) : new SqliteLedgerStore(location, create);
    }

    /// <summary>Whether <paramref name="location"/> names a PostgreSQL database (postgres://..., or Npgsql "Host=...;" text) rather than a SQLite file.</summary>
    public static bool IsDatabaseUrl(string location) => PostgresUrl.IsPostgres(location);

    /// <summary>Creates the ledger at <paramref name="location"/> (idempotent: an existing ledger keeps its origin).</summary>
    public static async Task<Ledger> InitializeAsync(string location, string? origin = null, LedgerSigner? signer = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var store = OpenStore(location, create: true);
        try
        {
            await store.InitializeAsync(origin ?? $"rampart.ledger/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}", cancellationToken).ConfigureAwait(false);
            return new Ledger(store, await store.GetOriginAsync(cancellationToken).ConfigureAwait(false), signer, time ?? TimeProvider.System);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens an existing ledger. <paramref name="signer"/> is needed only to append or sign checkpoints.</summary>
    public static async Task<Ledger> OpenAsync(string location, LedgerSigner? signer = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var store = OpenStore(location);
        try
        {
            return new Ledger(store, await store.GetOriginAsync(cancellationToken).ConfigureAwait(false), signer, time ?? TimeProvider.System);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Signs and appends a record; returns the stored entry with its sequence number.</summary>
    public Task<LedgerEntry> AppendAsync(ProvenanceRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var signer = _signer ?? throw new ProvenanceException("appending needs a signing key (--key FILE)");
        return Store.AppendAsync(seq => LedgerEntry.Create(seq, record, signer, _time.GetUtcNow()), cancellationToken);
    }

    /// <summary>Records a training run.</summary>
    public Task<LedgerEntry> RecordTrainingRunAsync(TrainingRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return AppendAsync(run.ToRecord(), cancellationToken);
    }

    /// <summary>Records a dataset snapshot.</summary>
    public Task<LedgerEntry> RecordDatasetAsync(string name, string manifestDigest, string? source = null, string? license = null, CancellationToken cancellationToken = default)
    {
        var builder = ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", name).Set("manifest", manifestDigest);
        if (source is not null)
        {
            builder.Set("source", source);
        }

        if (license is not null)
        {
            builder.Set("license", license);
        }

        return AppendAsync(builder.Build(), cancellationToken);
    }

    /// <summary>The number of entries.</summary>
    public Task<long> GetSizeAsync(CancellationToken cancellationToken = default) => Store.GetSizeAsync(cancellationToken);

    /// <summary>The root of the first <paramref name="size"/> entries, from O(log n) stored nodes.</summary>
    public async Task<byte[]> GetRootAsync(long size, CancellationToken cancellationToken = default)
    {
        var nodes = await FetchAsync(MerkleProofs.NodesForRoot(size), cancellationToken).ConfigureAwait(false);
        return MerkleProofs.Root(size, nodes);
    }

    /// <summary>Proves entry <paramref name="index"/> is in the tree of <paramref name="treeSize"/> entries (default: the whole log).</summary>
    public async Task<InclusionProof> ProveInclusionAsync(long index, long? treeSize = null, CancellationToken cancellationToken = default)
    {
        var size = treeSize ?? await Store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        if (index < 0 || index >= size)
        {
            throw new ProvenanceException($"entry {index} is not in a log of {size} entries");
        }

        var needed = new HashSet<NodeId>(MerkleProofs.NodesForInclusion(index, size));
        needed.UnionWith(MerkleProofs.NodesForRoot(size));
        needed.Add(new NodeId(0, index));
        var nodes = await FetchAsync(needed, cancellationToken).ConfigureAwait(false);
        return new InclusionProof(index, size, nodes(new NodeId(0, index)), MerkleProofs.Inclusion(index, size, nodes), MerkleProofs.Root(size, nodes));
    }

    /// <summary>Proves the first <paramref name="size1"/> entries are a prefix of the first <paramref name="size2"/>.</summary>
    public async Task<ConsistencyProof> ProveConsistencyAsync(long size1, long size2, CancellationToken cancellationToken = default)
    {
        if (size1 < 0 || size1 > size2)
        {
            throw new ProvenanceException($"no consistency proof from {size1} to {size2} entries");
        }

        var needed = new HashSet<NodeId>(MerkleProofs.NodesForConsistency(size1, size2));
        needed.UnionWith(MerkleProofs.NodesForRoot(size1));
        needed.UnionWith(MerkleProofs.NodesForRoot(size2));
        var nodes = await FetchAsync(needed, cancellationToken).ConfigureAwait(false);
        return new ConsistencyProof(size1, size2, MerkleProofs.Root(size1, nodes), MerkleProofs.Root(size2, nodes), MerkleProofs.Consistency(size1, size2, nodes));
    }

    /// <summary>Signs a checkpoint of the current log with the writer's ECDSA key (note signature type 0x02), stores it and returns it.</summary>
    public async Task<Checkpoint> CreateCheckpointAsync(CancellationToken cancellationToken = default)
    {
        var signer = _signer ?? throw new ProvenanceException("signing a checkpoint needs a key (--key FILE)");
        using var note = NoteSigner.FromEcdsa(signer);
        return await CreateCheckpointAsync(note, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs a checkpoint of the current log with <paramref name="signer"/> (Ed25519 or ECDSA), stores it and returns it.</summary>
    public async Task<Checkpoint> CreateCheckpointAsync(NoteSigner signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var size = await Store.GetSizeAsync(cancellationToken).ConfigureAwait(false);
        var root = await GetRootAsync(size, cancellationToken).ConfigureAwait(false);
        var checkpoint = Checkpoint.Create(Origin, size, root, signer);
        await Store.AddCheckpointAsync(new StoredCheckpoint(size, root, checkpoint.ToNote(), signer.PublicKey), cancellationToken).ConfigureAwait(false);
        return checkpoint;
    }

    /// <summary>Re-checks every entry, the tree, the stored checkpoints and optionally consistency with an old checkpoint.</summary>
    public Task<LedgerVerification> VerifyAsync(VerifyOptions? options = null, CancellationToken cancellationToken = default) =>
        LedgerVerifier.VerifyAsync(this, options ?? new VerifyOptions(), cancellationToken);

    /// <summary>
    /// Every entry, parsed, in order. A row the store should not hold (a value of the wrong type or length, a number
    /// out of order, duplicated or missing) or an unreadable record throws <see cref="LedgerDamagedException"/>. Signatures are not checked here: that is <see cref="VerifyAsync"/>.
    /// </summary>
    public async IAsyncEnumerable<(LedgerEntry Entry, EntryContents Contents)> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long expected = 0;
        await foreach (var row in Store.ReadEntryRowsAsync(cancellationToken).ConfigureAwait(false))
        {
            var entry = row.ToEntry();
            if (entry.Sequence != expected)
            {
                throw new LedgerDamagedException((entry.Sequence < 0 ? $"entry {entry.Sequence} is outside the log (entries are numbered from 0)"
                    : entry.Sequence < expected ? $"entry {entry.Sequence} is stored more than once"
                    : $"entries {expected}..{entry.Sequence - 1} are missing") + "; run 'rampart ledger verify'");
            }

            EntryContents contents;
            try
            {
                contents = entry.Read();
            }
            catch (ProvenanceException e)
            {
                throw new LedgerDamagedException($"entry {entry.Sequence} is unreadable ({e.Message}); run 'rampart ledger verify'", e);
            }

            expected++;
            yield return (entry, contents);
        }
    }

    /// <summary>The lineage graph of the artifact with <paramref name="digest"/>: what it came from and what came of it.</summary>
    public async Task<Lineage.LineageGraph> TraceAsync(string digest, CancellationToken cancellationToken = default)
    {
        var entries = new List<(LedgerEntry, EntryContents)>();
        await foreach (var item in ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(item);
        }

        return Lineage.LineageGraph.Build(entries, digest);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Store.DisposeAsync();

    private async Task<Func<NodeId, byte[]>> FetchAsync(IReadOnlySet<NodeId> ids, CancellationToken cancellationToken)
    {
        var nodes = await Store.GetNodesAsync([.. ids], cancellationToken).ConfigureAwait(false);
        return id => nodes.TryGetValue(id, out var hash)
            ? hash
            : throw new ProvenanceException($"{Store.Description}: Merkle node {id.Level}/{id.Index} is missing; run 'rampart ledger verify'");
    }
}
