namespace Rampart.Provenance.Merkle;

/// <summary>
/// Every perfect-subtree hash of a log held in memory, grown one leaf at a time the same way the stores grow their
/// node tables. Used to re-derive the whole tree from the entries when verifying, and by tests.
/// </summary>
public sealed class MerkleTreeBuilder
{
    private readonly List<List<byte[]>> _levels = [];

    /// <summary>Leaves appended so far.</summary>
    public long Size => _levels.Count == 0 ? 0 : _levels[0].Count;

    /// <summary>A builder holding <paramref name="leafHashes"/>.</summary>
    public static MerkleTreeBuilder FromLeaves(IEnumerable<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var builder = new MerkleTreeBuilder();
        foreach (var leaf in leafHashes)
        {
            builder.Append(leaf);
        }

        return builder;
    }

    /// <summary>Adds a leaf hash and every perfect subtree it completes; returns those new nodes, leaf first.</summary>
    public IReadOnlyList<(NodeId Id, byte[] Hash)> Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        var added = new List<(NodeId, byte[])>();
        var level = 0;
        var hash = leafHash;
        while (true)
        {
            if (_levels.Count == level)
            {
                _levels.Add([]);
            }

            var row = _levels[level];
            var index = row.Count;
            row.Add(hash);
            added.Add((new NodeId(level, index), hash));
            if ((index & 1) == 0)
            {
                return added;
            }

            hash = MerkleHash.Node(row[index - 1], hash);
            level++;
        }
    }

    /// <summary>The stored hash of a perfect subtree; throws when the tree does not have it yet.</summary>
    public byte[] Get(NodeId id)
    {
        if (id.Level < 0 || id.Level >= _levels.Count || id.Index < 0 || id.Index >= _levels[id.Level].Count)
        {
            throw new KeyNotFoundException($"node {id.Level}/{id.Index} is not in a tree of {Size} entries");
        }

        return _levels[id.Level][(int)id.Index];
    }

    /// <summary>Every node the tree holds, level by level.</summary>
    public IEnumerable<(NodeId Id, byte[] Hash)> Nodes()
    {
        for (var level = 0; level < _levels.Count; level++)
        {
            for (var i = 0; i < _levels[level].Count; i++)
            {
                yield return (new NodeId(level, i), _levels[level][i]);
            }
        }
    }
}
