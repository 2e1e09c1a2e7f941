using System.Security.Cryptography;

namespace Rampart.Server.Registry;

/// <summary>The digest of a blob did not match its address when read back (disk corruption or tampering).</summary>
public sealed class BlobCorruptedException(string message) : IOException(message);

/// <summary>
/// Content-addressed blobs on the filesystem: blobs/sha256/ab/abcdef... A blob enters by an atomic rename of a
/// finished upload, so a crash leaves either the whole blob or none; the same content uploaded twice (even at the
/// same moment) is stored once. Readers re-check the digest before trusting the bytes.
/// </summary>
public sealed class BlobStore
{
    private const int BufferSize = 1 << 20;
    private readonly string _root;

    public BlobStore(string dataDirectory)
    {
        _root = Path.Combine(dataDirectory, "blobs", "sha256");
        UploadDirectory = Path.Combine(dataDirectory, "uploads");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(UploadDirectory);
    }

    /// <summary>Where unfinished uploads live ({session}.part, {session}.signature, {session}.requirements).</summary>
    public string UploadDirectory { get; }

    public static bool IsDigest(string? digest) => Provenance.Records.ProvenanceRecord.IsDigest(digest);

    public string PathOf(string digest)
    {
        if (!IsDigest(digest))
        {
            throw new ArgumentException($"not a sha256 digest: {digest}", nameof(digest));
        }

        var hex = digest["sha256:".Length..];
        return Path.Combine(_root, hex[..2], hex);
    }

    public bool Exists(string digest) => File.Exists(PathOf(digest));

    /// <summary>Hashes a file: "sha256:" + lower-case hex.</summary>
    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return "sha256:" + Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Moves a finished file into the store under its digest. When the blob is already there (the same content
    /// uploaded before, or by a concurrent upload that won the rename), the file is deleted instead: one copy.
    /// </summary>
    public async Task<string> AdoptAsync(string finishedFile, CancellationToken cancellationToken)
    {
        var digest = await HashFileAsync(finishedFile, cancellationToken).ConfigureAwait(false);
        var target = PathOf(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(finishedFile, target, overwrite: false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            }
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(finishedFile);
        }

        return digest;
    }

    /// <summary>Stores small bytes (scan reports, signatures) under their digest.</summary>
    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(UploadDirectory, $"put-{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        return await AdoptAsync(temp, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the blob's bytes against its address; throws <see cref="BlobCorruptedException"/> when they differ.</summary>
    public async Task VerifyAsync(string digest, CancellationToken cancellationToken)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            throw new BlobCorruptedException($"blob {digest} is missing from the store");
        }

        var actual = await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(actual, digest, StringComparison.Ordinal))
        {
            throw new BlobCorruptedException($"blob {digest} holds bytes with digest {actual}: refusing to serve or scan it");
        }
    }

    /// <summary>
    /// Copies the blob to <paramref name="output"/> while hashing it again; throws <see cref="BlobCorruptedException"/>
    /// at the end when the bytes changed under the reader (the response is then aborted, never completed).
    /// </summary>
    public async Task CopyVerifiedAsync(string digest, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var stream = new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan | FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, digest, StringComparison.Ordinal))
        {
            throw new BlobCorruptedException($"blob {digest} changed while it was read (now {actual})");
        }
    }
}
