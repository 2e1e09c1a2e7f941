using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Rampart.Server.Registry;

/// <summary>The digest of a blob did not match its address when read back (disk corruption or tampering).</summary>
public sealed class BlobCorruptedException(string message) : IOException(message);

/// <summary>
/// Content-addressed blobs on the filesystem: blobs/sha256/ab/abcdef... A blob enters by an atomic rename of a
/// finished upload, so a crash leaves either the whole blob or none; the same content uploaded twice (even at the
/// same moment) is stored once. A blob is durable before it is visible: its bytes are flushed to disk before the
/// rename, and the folder that holds the new name after it (<see cref="BlobFileSystem"/>), so a power cut never leaves
/// a name whose bytes were still in the page cache. Readers re-check the digest before trusting the bytes.
/// </summary>
public sealed class BlobStore
{
    private const int BufferSize = 1 << 20;
    private readonly string _root;
    private readonly BlobFileSystem _files;

    public BlobStore(string dataDirectory)
        : this(dataDirectory, BlobFileSystem.Durable)
    {
    }

    internal BlobStore(string dataDirectory, BlobFileSystem files)
    {
        _files = files;
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
        var shard = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(shard))
        {
            // A new shard folder is itself a new name in the store's root: durable before a blob is renamed into it.
            Directory.CreateDirectory(shard);
            _files.FlushDirectory(_root);
        }

        _files.FlushFile(finishedFile);
        try
        {
            _files.Move(finishedFile, target);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(finishedFile);
            return digest;
        }

        _files.FlushDirectory(shard);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead);
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

/// <summary>
/// The file-system steps that make a blob durable, in the order <see cref="BlobStore"/> takes them: flush the file,
/// rename it, flush the folder. A seam so tests can watch the order (they cannot watch a disk); the server uses <see cref="Durable"/>.
/// </summary>
internal class BlobFileSystem
{
    public static readonly BlobFileSystem Durable = new();

    /// <summary>Forces the file's bytes to disk (fsync on Unix, FlushFileBuffers on Windows) through FileStream.Flush(flushToDisk: true).</summary>
    public virtual void FlushFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Renames without replacing: an existing target throws <see cref="IOException"/>.</summary>
    public virtual void Move(string from, string to) => File.Move(from, to, overwrite: false);

    /// <summary>
    /// Forces a folder's entries (a rename into it, a new subfolder) to disk. .NET has no API for this: FileStream
    /// and File.OpenHandle refuse a directory, so on Linux and macOS the folder is opened read-only with open(2) and
    /// fsync(2)ed, the way the C library documents it (DllImport as in Scanning's FileKind: LibraryImport would need
    /// unsafe code). Windows journals NTFS metadata and offers no directory flush to user code, so it does nothing there.
    /// </summary>
    public virtual void FlushDirectory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"cannot open the folder '{path}' to flush it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"cannot flush the folder '{path}' to disk (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054
}
