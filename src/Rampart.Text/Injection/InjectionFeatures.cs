using System.Buffers;

namespace Rampart.Text.Injection;

/// <summary>
/// The classifier's features: hashed character 3-5-grams and word 1-2-grams of the lower-cased text, counted and
/// L2-normalised (so long and short texts score alike), with a sign bit from the hash to cancel collisions on average
/// (the "hashing trick"). No vocabulary to ship or to look up: featurising a 2,000-character prompt is a few thousand
/// hash steps and one sort.
/// </summary>
public static class InjectionFeatures
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>Feature vector of <paramref name="text"/> as (bucket, signed weight) pairs, buckets distinct.</summary>
    public static int Extract(ReadOnlySpan<char> text, int bits, List<(int Bucket, float Value)> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        features.Clear();
        var mask = (1 << bits) - 1;
        var buffer = ArrayPool<char>.Shared.Rent(text.Length + 2);
        var hashes = ArrayPool<uint>.Shared.Rent((text.Length + 2) * 5);
        try
        {
            var n = Canonical(text, buffer);
            var s = buffer.AsSpan(0, n);
            var count = 0;
            for (var len = 3; len <= 5; len++)
            {
                for (var i = 0; i + len <= n; i++)
                {
                    hashes[count++] = Hash(s.Slice(i, len), (uint)len);
                }
            }

            // words: maximal runs of letters or digits; unigrams and bigrams
            uint previous = 0;
            var havePrevious = false;
            var start = -1;
            for (var i = 0; i <= n; i++)
            {
                var word = i < n && char.IsLetterOrDigit(s[i]);
                if (word && start < 0)
                {
                    start = i;
                }
                else if (!word && start >= 0)
                {
                    var h = Hash(s[start..i], 11);
                    hashes[count++] = h;
                    if (havePrevious)
                    {
                        hashes[count++] = (previous * 31) ^ h ^ 0x9E3779B9;
                    }

                    previous = h;
                    havePrevious = true;
                    start = -1;
                }
            }

            var span = hashes.AsSpan(0, count);
            for (var i = 0; i < span.Length; i++)
            {
                // keep the bucket and the sign bit only, so equal features sort together
                span[i] = (span[i] & (uint)mask) | (span[i] & 0x80000000u);
            }

            span.Sort();
            double norm = 0;
            var k = 0;
            while (k < span.Length)
            {
                var j = k;
                while (j < span.Length && span[j] == span[k])
                {
                    j++;
                }

                var tf = j - k;
                var value = (span[k] & 0x80000000u) != 0 ? -tf : tf;
                features.Add(((int)(span[k] & (uint)mask), value));
                norm += (double)tf * tf;
                k = j;
            }

            if (norm > 0)
            {
                var inv = (float)(1 / Math.Sqrt(norm));
                for (var i = 0; i < features.Count; i++)
                {
                    features[i] = (features[i].Bucket, features[i].Value * inv);
                }
            }

            return features.Count;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
            ArrayPool<uint>.Shared.Return(hashes);
        }
    }

    /// <summary>Lower case, whitespace runs as one space, padded with a space at both ends.</summary>
    private static int Canonical(ReadOnlySpan<char> text, char[] buffer)
    {
        var n = 0;
        buffer[n++] = ' ';
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (buffer[n - 1] != ' ')
                {
                    buffer[n++] = ' ';
                }
            }
            else
            {
                buffer[n++] = char.ToLowerInvariant(c);
            }
        }

        if (buffer[n - 1] != ' ')
        {
            buffer[n++] = ' ';
        }

        return n;
    }

    private static uint Hash(ReadOnlySpan<char> s, uint seed)
    {
        var h = FnvOffset ^ (seed * 0x01000193);
        foreach (var c in s)
        {
            h = (h ^ c) * FnvPrime;
        }

        // final avalanche so that the low bits (the bucket) and the top bit (the sign) are independent
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}
