using Rampart.Provenance.Checkpoints;
using Rampart.Provenance.Merkle;
using Rampart.Provenance.Records;

namespace Rampart.Provenance;

/// <summary>What <see cref="Ledger.VerifyAsync"/> checks besides the log itself.</summary>
/// <param name="Since">An exported checkpoint the current log must extend (consistency proof).</param>
/// <param name="SinceKey">The public key (SPKI) that signed <paramref name="Since"/>; when null, any key that signed a stored checkpoint or an entry is accepted.</param>
/// <param name="TrustedKeyIds">When set, every entry must be signed by one of these key ids.</param>
public sealed record VerifyOptions(Checkpoint? Since = null, byte[]? SinceKey = null, IReadOnlySet<string>? TrustedKeyIds = null);

/// <summary>The outcome of a verification: the log's size and root as recomputed from its entries, and every problem found.</summary>
public sealed record LedgerVerification(long Size, byte[] Root, IReadOnlyList<string> Problems, long? FirstBadEntry, int CheckpointsChecked, bool SinceChecked)
{
    /// <summary>Whether nothing was wrong.</summary>
    public bool Ok => Problems.Count == 0;
}

/// <summary>The checks behind `rampart ledger verify`.</summary>
internal static class LedgerVerifier
{
    private const int MaxProblems = 50;

    /// <summary>How many missing entries verify stands in for with placeholder leaves (the tree is held in memory).</summary>
    private const long MaxFilledGap = 1 << 20;

    /// <summary>The leaf that stands in for a missing entry: the hash of nothing, which no entry has.</summary>
    private static readonly byte[] MissingLeaf = MerkleHash.Leaf([]);

    public static async Task<LedgerVerification> VerifyAsync(Ledger ledger, VerifyOptions options, CancellationToken cancellationToken)
    {
        // Entries, nodes and checkpoints are read in one snapshot: read one after the other on a live ledger, the nodes
        // and checkpoints of later appends looked like leftovers of deleted entries.
        var snapshot = await ledger.Store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
        await using (snapshot.ConfigureAwait(false))
        {
            return await VerifyAsync(ledger, snapshot, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<LedgerVerification> VerifyAsync(Ledger ledger, Storage.ILedgerSnapshot snapshot, VerifyOptions options, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        // The first bad entry is the lowest-numbered entry a problem of the entries table names; only when every
        // entry row is sound does a bad node or checkpoint name one (a node over a bad entry covers sound ones too).
        long? firstBadRow = null;
        long? firstBadOther = null;
        var readingEntries = true;
        var tree = new MerkleTreeBuilder();
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long expected = 0;
        long filled = 0;
        using var verifier = new Signing.LedgerSigner.CachingVerifier();
        void Bad(string problem, long? entry)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(problem);
            }

            if (entry is { } e)
            {
                if (readingEntries)
                {
                    firstBadRow = firstBadRow is null || e < firstBadRow ? e : firstBadRow;
                }
                else
                {
                    firstBadOther = firstBadOther is null || e < firstBadOther ? e : firstBadOther;
                }
            }
        }

        await foreach (var row in snapshot.ReadEntryRowsAsync(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (row.Sequence is not { } sequence)
            {
                // No usable number: name the row by the number its signed record gives, when it gives one.
                Bad($"{row.Name}: {row.Problem}", row.SignedSequence);
                continue;
            }

            if (sequence < 0)
            {
                Bad($"entry {sequence}: a row is numbered {sequence}, outside the log (entries are numbered 0..size-1)", sequence);
                continue;
            }

            if (sequence < expected)
            {
                // Rows come ordered by seq, so a number below the next expected one is a second row with the same number.
                Bad($"entry {sequence} is stored more than once (an extra row was inserted)", sequence);
                continue;
            }

            if (sequence > expected)
            {
                Bad(sequence - expected == 1 ? $"entry {expected} is missing (a deleted row)" : $"entry {expected} is missing (entries {expected}..{sequence - 1}: deleted rows)", expected);

                // Stand-in leaves keep later entries at their own positions, so only the nodes over the gap disagree
                // (bounded: a number far past the end is reported, not filled).
                if (sequence - expected <= MaxFilledGap - filled)
                {
                    filled += sequence - expected;
                    for (; expected < sequence; expected++)
                    {
                        tree.Append(MissingLeaf);
                    }
                }

                expected = sequence;
            }

            if (row.Problem is { } stored)
            {
                Bad($"entry {sequence}: {stored}", sequence);
            }
            else if (row.ToEntry().Problem(expected, verifier.Verify, out var contents) is { } problem)
            {
                Bad(problem, expected);
            }
            else
            {
                var signer = contents!.Signer;
                keys.TryAdd(signer.KeyId, signer.PublicKey);
                if (options.TrustedKeyIds is { } trusted && !trusted.Contains(signer.KeyId))
                {
                    Bad($"entry {expected}: signed by {signer.Name} ({signer.KeyId}), which is not a trusted key", expected);
                }
            }

            // The tree is rebuilt from what the entry holds, so a rewritten entry changes every root above it (a
            // malformed row still takes its place, hashed from whatever it holds, so later positions stay aligned).
            tree.Append(MerkleHash.Leaf(LedgerEntry.LeafData(row.RecordJson ?? string.Empty, row.Signature ?? [])));
            expected++;
        }

        readingEntries = false;
        var size = tree.Size;
        var root = MerkleProofs.Root(size, tree.Get);
        var seen = new HashSet<NodeId>();
        NodeId? previous = null;
        await foreach (var row in snapshot.ReadNodeRowsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (row.Id is not { } id)
            {
                Bad($"{row.Name}: {row.Problem}", row.FirstEntry);
                continue;
            }

            if (previous == id)
            {
                Bad($"{row.Name} is stored more than once (an extra row was inserted)", row.FirstEntry);
                continue;
            }

            previous = id;
            seen.Add(id);
            var recomputed = id.Level < 63 && id.Index <= (long.MaxValue >> id.Level) && (id.Index << id.Level) < size ? TryGet(tree, id) : null;
            if (recomputed is null)
            {
                Bad($"{row.Name} is stored but no entry accounts for it (entries were deleted)", row.FirstEntry);
            }
            else if (!recomputed.AsSpan().SequenceEqual(row.Hash))
            {
                Bad($"{row.Name} does not match entries {id.Index << id.Level}..{((id.Index + 1) << id.Level) - 1}", row.FirstEntry);
            }
        }

        var missing = tree.Nodes().Where(n => !seen.Contains(n.Id)).Select(n => n.Id).ToList();
        if (missing.Count > 0)
        {
            var first = missing.MinBy(n => (n.Index << n.Level, n.Level));
            Bad($"Merkle node {first.Level}/{first.Index} is missing from the store" + (missing.Count > 1 ? $" ({missing.Count} nodes are missing)" : string.Empty), first.Index << first.Level);
        }

        var checkpoints = await snapshot.GetCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        long? previousSize = null;
        foreach (var row in checkpoints)
        {
            if (row.Problem is { } problem)
            {
                Bad($"{row.Name}: {problem}", null);
                continue;
            }

            var stored = row.ToCheckpoint();
            if (previousSize == stored.Size)
            {
                Bad($"{row.Name} is stored more than once (an extra row was inserted)", null);
                continue;
            }

            previousSize = stored.Size;
            Checkpoint checkpoint;
            try
            {
                checkpoint = Checkpoint.Parse(stored.Note);
            }
            catch (ProvenanceException e)
            {
                Bad($"{row.Name}: {e.Message}", null);
                continue;
            }

            if (!NoteKeys.IsReadable(stored.PublicKey))
            {
                Bad($"{row.Name}: public_key is not an Ed25519 or ECDSA public key (SubjectPublicKeyInfo)", null);
                continue;
            }

            keys.TryAdd(Signing.LedgerSigner.KeyIdOf(stored.PublicKey), stored.PublicKey);
            if (checkpoint.Size != stored.Size || !checkpoint.Root.AsSpan().SequenceEqual(stored.Root) || !checkpoint.IsSignedBy(stored.PublicKey))
            {
                Bad($"{row.Name}: its signature does not match", null);
            }
            else if (!string.Equals(checkpoint.Origin, ledger.Origin, StringComparison.Ordinal))
            {
                Bad($"{row.Name} is for another log ({checkpoint.Origin})", null);
            }
            else
            {
                CheckAgainstTree(checkpoint, "stored checkpoint", tree, size, Bad);
            }
        }

        if (options.Since is { } since)
        {
            var signedBy = options.SinceKey is { } key ? since.IsSignedBy(key) : keys.Values.Any(since.IsSignedBy);
            if (!signedBy)
            {
                Bad(options.SinceKey is null ? "the --since checkpoint is not signed by any key this ledger knows" : "the --since checkpoint is not signed by the given key", null);
            }
            else if (!string.Equals(since.Origin, ledger.Origin, StringComparison.Ordinal))
            {
                Bad($"the --since checkpoint is for another log ({since.Origin}, this one is {ledger.Origin})", null);
            }
            else
            {
                CheckAgainstTree(since, "the --since checkpoint", tree, size, Bad);
                if (since.Size > 0 && since.Size <= size)
                {
                    // The proof the store serves must also hold: a store whose node table was rebuilt after history was rewritten fails here.
                    try
                    {
                        var proof = await ledger.ProveConsistencyAsync(since.Size, size, cancellationToken).ConfigureAwait(false);
                        if (!MerkleVerifier.VerifyConsistency(since.Size, size, proof.Path, since.Root, root))
                        {
                            Bad($"the consistency proof from the --since checkpoint (size {since.Size}) to the current log (size {size}) fails: history was rewritten", null);
                        }
                    }
                    catch (Exception e) when (e is ProvenanceException or LedgerDamagedException)
                    {
                        Bad($"no consistency proof from the --since checkpoint: {e.Message}", null);
                    }
                }
            }
        }

        return new LedgerVerification(size, root, problems, firstBadRow ?? firstBadOther, checkpoints.Count, options.Since is not null);
    }

    private static byte[]? TryGet(MerkleTreeBuilder tree, NodeId id)
    {
        try
        {
            return tree.Get(id);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    private static void CheckAgainstTree(Checkpoint checkpoint, string what, MerkleTreeBuilder tree, long size, Action<string, long?> bad)
    {
        if (checkpoint.Size > size)
        {
            bad($"{what} of size {checkpoint.Size} is larger than the log ({size} entries): entries were deleted", size);
        }
        else if (!MerkleProofs.Root(checkpoint.Size, tree.Get).AsSpan().SequenceEqual(checkpoint.Root))
        {
            bad($"{what} of size {checkpoint.Size} does not match the first {checkpoint.Size} entries: history was rewritten", null);
        }
    }
}
