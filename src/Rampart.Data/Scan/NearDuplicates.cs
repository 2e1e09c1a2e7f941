using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Rampart.Data.Scan;

/// <summary>
/// Near-duplicate texts by MinHash and locality-sensitive hashing: each text's word 3-shingles (character 5-grams for
/// texts of fewer than 8 words) are hashed once, 128 MinHash values come from cheap universal re-hashing of those
/// hashes, and 32 bands of 4 values bucket the candidates (a pair sharing a band is compared; at Jaccard 0.8 a pair
/// is found with probability 1 - (1 - 0.8^4)^32, which is all but certain). Candidates are kept when the estimated
/// Jaccard (the share of equal MinHash values) reaches the threshold; identical texts are left to exact duplicates.
/// </summary>
public sealed class NearDuplicates(double threshold, int seed = 1)
{
    private const int Hashes = 128;
    private const int Bands = 32;
    private const int RowsPerBand = Hashes / Bands;

    private readonly ulong[] _a = Coefficients(seed, 1);
    private readonly ulong[] _b = Coefficients(seed, 2);
    private readonly List<(int Item, ulong[] Signature, ulong TextHash)> _items = [];

    /// <summary>Adds text <paramref name="item"/> (an index the caller maps back to its row).</summary>
    public void Add(int item, string text)
    {
        var normal = text.ToLowerInvariant();
        var shingles = Shingles(normal);
        if (shingles.Count == 0)
        {
            return;
        }

        var signature = new ulong[Hashes];
        Array.Fill(signature, ulong.MaxValue);
        foreach (var h in shingles)
        {
            for (var i = 0; i < Hashes; i++)
            {
                var v = (_a[i] * h) + _b[i];
                if (v < signature[i])
                {
                    signature[i] = v;
                }
            }
        }

        _items.Add((item, signature, XxHash64.HashToUInt64(MemoryMarshal.AsBytes(normal.AsSpan()))));
    }

    /// <summary>Clusters (items connected by near-duplicate pairs), each as a sorted list of items, largest first.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Clusters()
    {
        var parent = Enumerable.Range(0, _items.Count).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }

            return x;
        }

        var linked = new bool[_items.Count];
        for (var band = 0; band < Bands; band++)
        {
            var buckets = new Dictionary<ulong, List<int>>();
            for (var i = 0; i < _items.Count; i++)
            {
                var key = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(_items[i].Signature.AsSpan(band * RowsPerBand, RowsPerBand)), band);
                if (!buckets.TryGetValue(key, out var list))
                {
                    list = [];
                    buckets[key] = list;
                }

                list.Add(i);
            }

            foreach (var bucket in buckets.Values.Where(b => b.Count > 1))
            {
                // A huge bucket is boilerplate (the same template everywhere): compare each to the first few only.
                for (var x = 0; x < bucket.Count; x++)
                {
                    for (var y = x + 1; y < Math.Min(bucket.Count, x + 50); y++)
                    {
                        var (i, j) = (bucket[x], bucket[y]);
                        if (Find(i) == Find(j) || _items[i].TextHash == _items[j].TextHash || Similarity(_items[i].Signature, _items[j].Signature) < threshold)
                        {
                            continue;
                        }

                        parent[Find(i)] = Find(j);
                        linked[i] = linked[j] = true;
                    }
                }
            }
        }

        return [.. Enumerable.Range(0, _items.Count).Where(i => linked[i]).GroupBy(Find)
            .Select(g => (IReadOnlyList<int>)[.. g.Select(i => _items[i].Item).Order()])
            .OrderByDescending(c => c.Count).ThenBy(c => c[0])];
    }

    /// <summary>The estimated Jaccard similarity of two signatures.</summary>
    public static double Similarity(ulong[] a, ulong[] b)
    {
        var same = 0;
        for (var i = 0; i < a.Length; i++)
        {
            same += a[i] == b[i] ? 1 : 0;
        }

        return same / (double)a.Length;
    }

    private static HashSet<ulong> Shingles(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var set = new HashSet<ulong>();
        if (words.Length >= 8)
        {
            for (var i = 0; i + 3 <= words.Length; i++)
            {
                set.Add(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join(' ', words, i, 3))));
            }
        }
        else
        {
            var joined = string.Join(' ', words);
            for (var i = 0; i + 5 <= joined.Length; i++)
            {
                set.Add(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(joined.AsSpan(i, 5))));
            }
        }

        return set;
    }

    private static ulong[] Coefficients(int seed, int salt)
    {
        var random = new Random(HashCode.Combine(seed, salt));
        var result = new ulong[Hashes];
        for (var i = 0; i < Hashes; i++)
        {
            result[i] = (ulong)random.NextInt64() | 1UL;
        }

        return result;
    }
}
