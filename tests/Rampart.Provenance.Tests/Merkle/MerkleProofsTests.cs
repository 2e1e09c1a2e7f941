using System.Security.Cryptography;
using Rampart.Provenance.Merkle;

namespace Rampart.Provenance.Tests.Merkle;

public sealed class MerkleProofsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(33)]
    public void Inclusion_EveryLeaf_VerifiesAgainstTheRoot(int size)
    {
        var tree = MerkleTreeBuilder.FromLeaves(Leaves(size));
        var root = MerkleProofs.Root(size, tree.Get);
        root.Should().Equal(NaiveRoot(Leaves(size)));
        for (var i = 0; i < size; i++)
        {
            var proof = MerkleProofs.Inclusion(i, size, tree.Get);
            MerkleVerifier.VerifyInclusion(i, size, Leaves(size)[i], proof, root).Should().BeTrue($"leaf {i} of {size}");
            MerkleVerifier.VerifyInclusion(i, size, Leaves(size)[(i + 1) % size], proof, root).Should().Be(size == 1, "a different leaf must not verify");
        }
    }

    [Fact]
    public void Consistency_EveryPairOfSizes_Verifies()
    {
        const int Max = 20;
        var tree = MerkleTreeBuilder.FromLeaves(Leaves(Max));
        for (var m = 1; m <= Max; m++)
        {
            for (var n = m; n <= Max; n++)
            {
                var proof = MerkleProofs.Consistency(m, n, tree.Get);
                var r1 = MerkleProofs.Root(m, tree.Get);
                var r2 = MerkleProofs.Root(n, tree.Get);
                MerkleVerifier.VerifyConsistency(m, n, proof, r1, r2).Should().BeTrue($"{m} -> {n}");
                if (m < n)
                {
                    MerkleVerifier.VerifyConsistency(m, n, proof, r2, r1).Should().BeFalse();
                }
            }
        }
    }

    [Fact]
    public void NodesForInclusion_LargeTree_NeedsLogarithmicallyManyNodes()
    {
        var small = MerkleProofs.NodesForInclusion(1_000 - 1, 1_000).Count;
        var large = MerkleProofs.NodesForInclusion(1_000_000 - 1, 1_000_000).Count;
        small.Should().BeLessThanOrEqualTo(2 * 10);
        large.Should().BeLessThanOrEqualTo(2 * 20);
    }

    [Fact]
    public void Builder_AppendOneByOne_MatchesBatch()
    {
        var leaves = Leaves(37);
        var incremental = new MerkleTreeBuilder();
        foreach (var leaf in leaves)
        {
            incremental.Append(leaf);
        }

        MerkleProofs.Root(37, incremental.Get).Should().Equal(NaiveRoot(leaves));
    }

    private static byte[][] Leaves(int n) => [.. Enumerable.Range(0, n).Select(i => MerkleHash.Leaf(BitConverter.GetBytes(i)))];

    private static byte[] NaiveRoot(byte[][] leaves)
    {
        if (leaves.Length == 1)
        {
            return leaves[0];
        }

        var k = 1;
        while (k * 2 < leaves.Length)
        {
            k *= 2;
        }

        return SHA256.HashData([0x01, .. NaiveRoot([.. leaves.Take(k)]), .. NaiveRoot([.. leaves.Skip(k)])]);
    }
}
