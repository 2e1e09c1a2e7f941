using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;

namespace Rampart.Integrity.Hashing;

/// <summary>How a model is cut into resources before hashing: one digest per file, or one per fixed-size shard.</summary>
public enum SerializationMethod
{
    Files,
    Shards,
}

/// <summary>An integrity operation that cannot go on: bad input, a key that does not fit, a model path problem.</summary>
public sealed class IntegrityException(string message) : Exception(message);

/// <summary>
/// The hashing configuration, mirroring the reference's <c>hashing.Config</c>: serialization method, shard size,
/// symlink policy and paths to leave out (relative to the model, '/'-separated; a folder leaves out all below it).
/// </summary>
public sealed record HashingOptions
{
    /// <summary>The reference's default shard size (1 GB, decimal).</summary>
    public const long DefaultShardSize = 1_000_000_000;

    /// <summary>Paths every signature leaves out unless asked not to (the reference's git list).</summary>
    public static ImmutableArray<string> GitPaths { get; } = [".git", ".gitattributes", ".github", ".gitignore"];

    public SerializationMethod Method { get; init; } = SerializationMethod.Files;

    public long ShardSize { get; init; } = DefaultShardSize;

    /// <summary>Only "sha256" can be computed here; other names are reported as unsupported.</summary>
    public string HashType { get; init; } = "sha256";

    public bool AllowSymlinks { get; init; }

    /// <summary>Paths relative to the model to leave out (user's list, recorded list, the signature file).</summary>
    public ImmutableArray<string> IgnorePaths { get; init; } = [];

    public bool IgnoreGitPaths { get; init; } = true;

    /// <summary>
    /// Tells a regular file from a FIFO, socket or device (which .NET lists as files; opening a FIFO blocks). The
    /// CLI and the scan pass the engine's statx-based check; null treats every non-folder entry as a file.
    /// </summary>
    public Func<string, bool>? IsRegularFile { get; init; }

    /// <summary>Files or shards hashed at once; 0 means one per core.</summary>
    public int MaxParallelism { get; init; }
}

/// <summary>One hashed resource: a file ("x/y") or a shard ("x/y:0:1000"), with its algorithm name and digest.</summary>
public sealed record ResourceDigest(string Name, string Algorithm, ImmutableArray<byte> Digest)
{
    public string DigestHex => Convert.ToHexStringLower(Digest.AsSpan());
}

/// <summary>What the predicate's "serialization" object records, so that a verifier can hash the same way.</summary>
public sealed record SerializationDescription(
    SerializationMethod Method,
    string HashType,
    bool AllowSymlinks,
    long? ShardSize,
    ImmutableArray<string> IgnorePaths)
{
    public string MethodName => Method == SerializationMethod.Files ? "files" : "shards";
}

/// <summary>
/// Every resource of a model with its digest, in the reference's canonical order; the root digest (the in-toto
/// subject) is SHA-256 over the raw resource digests concatenated in that order.
/// </summary>
public sealed record ModelManifest(string ModelName, ImmutableArray<ResourceDigest> Resources, SerializationDescription Serialization)
{
    public byte[] RootDigest() => ComputeRootDigest(Resources.Select(r => r.Digest));

    public string RootDigestHex => Convert.ToHexStringLower(RootDigest());

    public static byte[] ComputeRootDigest(IEnumerable<ImmutableArray<byte>> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var digest in digests)
        {
            hash.AppendData(digest.AsSpan());
        }

        return hash.GetHashAndReset();
    }
}

/// <summary>
/// The reference's order of resource names: by '/'-separated path components compared by Unicode code point
/// ("x/y" before "x-y" because component "x" is a prefix of "x-y"), then, for shards, by start and end offset.
/// </summary>
public sealed class ResourceNameComparer : IComparer<string>
{
    private readonly bool _shards;

    private ResourceNameComparer(bool shards) => _shards = shards;

    public static ResourceNameComparer Files { get; } = new(false);

    public static ResourceNameComparer Shards { get; } = new(true);

    public static ResourceNameComparer For(SerializationMethod method) => method == SerializationMethod.Files ? Files : Shards;

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        if (!_shards)
        {
            return ComparePaths(x, y);
        }

        var (px, sx, ex) = SplitShard(x);
        var (py, sy, ey) = SplitShard(y);
        var c = ComparePaths(px, py);
        if (c != 0)
        {
            return c;
        }

        c = sx.CompareTo(sy);
        return c != 0 ? c : ex.CompareTo(ey);
    }

    /// <summary>Splits "path:start:end"; names that are not shard names sort by their whole text.</summary>
    internal static (string Path, long Start, long End) SplitShard(string name)
    {
        var parts = name.Split(':');
        if (parts.Length == 3
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
        {
            return (parts[0], start, end);
        }

        return (name, -1, -1);
    }

    private static int ComparePaths(string x, string y)
    {
        var a = x.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var b = y.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var c = CompareCodePoints(a[i], b[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    /// <summary>Code point order (Python's str order), which differs from UTF-16 order above U+FFFF.</summary>
    private static int CompareCodePoints(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var ha = ea.MoveNext();
            var hb = eb.MoveNext();
            if (!ha || !hb)
            {
                return ha == hb ? 0 : (ha ? 1 : -1);
            }

            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }
}
