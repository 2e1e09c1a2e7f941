namespace Rampart.Provenance.Merkle;

/// <summary>
/// Address of a perfect subtree: the node at <paramref name="Level"/> (0 = leaves) and <paramref name="Index"/> covers
/// leaves [Index·2^Level, (Index+1)·2^Level). A store keeps one hash per such node, written as the log grows.
/// </summary>
public readonly record struct NodeId(int Level, long Index);

/// <summary>
/// Builds roots and proofs (RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1) from the stored hashes of perfect subtrees only, so a
/// proof needs O(log n) node reads however large the log is. Each computation runs twice: once to list the nodes it
/// needs (so a store fetches them in one query) and once over the fetched hashes.
/// </summary>
public static class MerkleProofs
{
    /// <summary>The nodes needed for the root of the first <paramref name="size"/> leaves.</summary>
    public static IReadOnlySet<NodeId> NodesForRoot(long size) => Collect(nodes => Root(size, nodes));

    /// <summary>The nodes needed for an inclusion proof of leaf <paramref name="index"/> in a tree of <paramref name="size"/>.</summary>
    public static IReadOnlySet<NodeId> NodesForInclusion(long index, long size) => Collect(nodes => Inclusion(index, size, nodes));

    /// <summary>The nodes needed for a consistency proof from <paramref name="size1"/> to <paramref name="size2"/>.</summary>
    public static IReadOnlySet<NodeId> NodesForConsistency(long size1, long size2) => Collect(nodes => Consistency(size1, size2, nodes));

    /// <summary>MTH of the first <paramref name="size"/> leaves.</summary>
    public static byte[] Root(long size, Func<NodeId, byte[]> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return size == 0 ? MerkleHash.EmptyRoot() : Subtree(0, size, nodes);
    }

    /// <summary>The audit path of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public static IReadOnlyList<byte[]> Inclusion(long index, long size, Func<NodeId, byte[]> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} is not in a tree of {size} entries");
        }

        var path = new List<byte[]>();
        Path(index, 0, size, nodes, path);
        return path;
    }

    /// <summary>The consistency proof between the trees of <paramref name="size1"/> and <paramref name="size2"/> leaves.</summary>
    public static IReadOnlyList<byte[]> Consistency(long size1, long size2, Func<NodeId, byte[]> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (size1 < 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"no consistency proof from {size1} to {size2} entries");
        }

        var proof = new List<byte[]>();
        if (size1 > 0 && size1 < size2)
        {
            SubProof(size1, 0, size2, true, nodes, proof);
        }

        return proof;
    }

    private static byte[] Subtree(long start, long end, Func<NodeId, byte[]> nodes)
    {
        var n = end - start;
        if (MerkleHash.IsPowerOfTwo(n) && start % n == 0)
        {
            var level = System.Numerics.BitOperations.Log2((ulong)n);
            return nodes(new NodeId(level, start >> level));
        }

        var k = MerkleHash.SplitPoint(n);
        return MerkleHash.Node(Subtree(start, start + k, nodes), Subtree(start + k, end, nodes));
    }

    private static void Path(long m, long start, long end, Func<NodeId, byte[]> nodes, List<byte[]> path)
    {
        var n = end - start;
        if (n <= 1)
        {
            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m < k)
        {
            Path(m, start, start + k, nodes, path);
            path.Add(Subtree(start + k, end, nodes));
        }
        else
        {
            Path(m - k, start + k, end, nodes, path);
            path.Add(Subtree(start, start + k, nodes));
        }
    }

    private static void SubProof(long m, long start, long end, bool whole, Func<NodeId, byte[]> nodes, List<byte[]> proof)
    {
        var n = end - start;
        if (m == n)
        {
            if (!whole)
            {
                proof.Add(Subtree(start, end, nodes));
            }

            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m <= k)
        {
            SubProof(m, start, start + k, whole, nodes, proof);
            proof.Add(Subtree(start + k, end, nodes));
        }
        else
        {
            SubProof(m - k, start + k, end, false, nodes, proof);
            proof.Add(Subtree(start, start + k, nodes));
        }
    }

    private static HashSet<NodeId> Collect(Action<Func<NodeId, byte[]>> run)
    {
        var needed = new HashSet<NodeId>();
        var dummy = new byte[MerkleHash.Size];
        run(id =>
        {
            needed.Add(id);
            return dummy;
        });
        return needed;
    }
}
