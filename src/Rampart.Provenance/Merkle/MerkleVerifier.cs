namespace Rampart.Provenance.Merkle;

/// <summary>
/// Checks inclusion and consistency proofs as RFC 9162 section 2.1.3.2 and 2.1.4.2 describe. Every method answers
/// true or false and never throws on malformed input (wrong hash lengths, impossible sizes, proofs too long or short).
/// </summary>
public static class MerkleVerifier
{
    /// <summary>Whether <paramref name="proof"/> shows the leaf with hash <paramref name="leafHash"/> at
    /// <paramref name="leafIndex"/> in the tree of <paramref name="treeSize"/> entries whose root is <paramref name="root"/>.</summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (leafIndex < 0 || treeSize <= 0 || leafIndex >= treeSize || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size)
        {
            return false;
        }

        var computed = RootFromInclusionProof(leafIndex, treeSize, leafHash.ToArray(), proof);
        return computed is not null && computed.AsSpan().SequenceEqual(root);
    }

    /// <summary>
    /// Whether <paramref name="proof"/> shows leaf <paramref name="leafIndex"/> inside the subtree of leaves
    /// [<paramref name="start"/>, <paramref name="end"/>) whose hash is <paramref name="root"/>. The range must be a
    /// subtree of some tree: non-empty and starting at a multiple of the smallest power of two not below its width.
    /// </summary>
    public static bool VerifySubtreeInclusion(long leafIndex, long start, long end, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (start < 0 || end <= start || leafIndex < start || leafIndex >= end)
        {
            return false;
        }

        var width = 1L;
        while (width < end - start)
        {
            width <<= 1;
        }

        return start % width == 0 && VerifyInclusion(leafIndex - start, end - start, leafHash, proof, root);
    }

    /// <summary>The root an inclusion proof implies, or null when the proof has the wrong shape.</summary>
    internal static byte[]? RootFromInclusionProof(long leafIndex, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> proof)
    {
        var fn = leafIndex;
        var sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if (p is null || p.Length != MerkleHash.Size || sn == 0)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? r : null;
    }

    /// <summary>Whether <paramref name="proof"/> shows that the tree of <paramref name="size1"/> entries with root
    /// <paramref name="root1"/> is a prefix of the tree of <paramref name="size2"/> entries with root <paramref name="root2"/>.</summary>
    public static bool VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 <= 0 || size2 < 0 || size1 > size2)
        {
            // A proof from the empty tree says nothing (every tree extends it), as in transparency-dev/merkle.
            return false;
        }

        if (size1 == size2)
        {
            // Same tree: nothing to prove, the roots must simply be the same bytes.
            return proof.Count == 0 && root1.SequenceEqual(root2);
        }

        if (root1.Length != MerkleHash.Size || root2.Length != MerkleHash.Size)
        {
            return false;
        }

        if (proof.Count == 0 || proof.Any(p => p is null || p.Length != MerkleHash.Size))
        {
            return false;
        }

        var path = new List<byte[]>(proof.Count + 1);
        if (MerkleHash.IsPowerOfTwo(size1))
        {
            path.Add(root1.ToArray());
        }

        path.AddRange(proof);
        var fn = size1 - 1;
        var sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(root1) && sr.AsSpan().SequenceEqual(root2);
    }
}
