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

    public static async Task<LedgerVerification> VerifyAsync(Ledger ledger, VerifyOptions options, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        long? firstBad = null;
        var tree = new MerkleTreeBuilder();
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long expected = 0;
        using var verifier = new Signing.LedgerSigner.CachingVerifier();
        void Bad(string problem, long? entry)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(problem);
            }

            firstBad ??= entry;
        }

        await foreach (var entry in ledger.Store.ReadEntriesAsync(0, cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.Sequence > expected)
            {
                Bad($"entries {expected}..{entry.Sequence - 1} are missing (deleted rows)", expected);
                expected = entry.Sequence;
            }

            if (entry.Problem(expected, verifier.Verify, out var contents) is { } problem)
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

            // The tree is rebuilt from what the entry holds, so a rewritten entry changes every root above it.
            tree.Append(MerkleHash.Leaf(LedgerEntry.LeafData(entry.RecordJson, entry.Signature)));
            expected++;
        }

        var size = tree.Size;
        var root = MerkleProofs.Root(size, tree.Get);
        var storedNodes = 0L;
        await foreach (var (id, hash) in ledger.Store.ReadNodesAsync(cancellationToken).ConfigureAwait(false))
        {
            storedNodes++;
            byte[]? recomputed = null;
            try
            {
                recomputed = tree.Get(id);
            }
            catch (KeyNotFoundException)
            {
            }

            if (recomputed is null)
            {
                Bad($"Merkle node {id.Level}/{id.Index} is stored but no entry accounts for it (entries were deleted)", id.Index << id.Level);
            }
            else if (!recomputed.AsSpan().SequenceEqual(hash))
            {
                Bad($"Merkle node {id.Level}/{id.Index} does not match entries {id.Index << id.Level}..{((id.Index + 1) << id.Level) - 1}", id.Index << id.Level);
            }
        }

        var expectedNodes = tree.Nodes().LongCount();
        if (storedNodes < expectedNodes)
        {
            Bad($"{expectedNodes - storedNodes} Merkle nodes are missing from the store", null);
        }

        var checkpoints = await ledger.Store.GetCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var stored in checkpoints)
        {
            Checkpoint checkpoint;
            try
            {
                checkpoint = Checkpoint.Parse(stored.Note);
            }
            catch (ProvenanceException e)
            {
                Bad($"stored checkpoint of size {stored.Size}: {e.Message}", null);
                continue;
            }

            keys.TryAdd(Signing.LedgerSigner.KeyIdOf(stored.PublicKey), stored.PublicKey);
            if (checkpoint.Size != stored.Size || !checkpoint.Root.AsSpan().SequenceEqual(stored.Root) || !checkpoint.IsSignedBy(stored.PublicKey))
            {
                Bad($"stored checkpoint of size {stored.Size}: its signature does not match", null);
            }
            else if (!string.Equals(checkpoint.Origin, ledger.Origin, StringComparison.Ordinal))
            {
                Bad($"stored checkpoint of size {stored.Size} is for another log ({checkpoint.Origin})", null);
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
                    catch (ProvenanceException e)
                    {
                        Bad($"no consistency proof from the --since checkpoint: {e.Message}", null);
                    }
                }
            }
        }

        return new LedgerVerification(size, root, problems, firstBad, checkpoints.Count, options.Since is not null);
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
