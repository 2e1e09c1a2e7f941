using Rampart.Scanning.IO;

namespace Rampart.Scanning.Engine;

/// <summary>
/// Makes <see cref="Artifact"/>s: reads the head and tail that sniffing needs, and wires up openers that re-read
/// the content on demand (a slice of a seekable parent, a decompressing stream, bytes already in memory).
/// </summary>
public static class ArtifactFactory
{
    /// <summary>Decompressed children up to this size are kept in memory: complete head and tail, cheap re-reads.</summary>
    public const int MaterializeBytes = 32 * 1024 * 1024;

    /// <summary>A file on disk given (directly or through a folder) on the command line.</summary>
    public static async ValueTask<Artifact> FromFileAsync(string fullPath, string displayPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        var fileStream = OpenFile(fullPath);
        await using (fileStream.ConfigureAwait(false))
        {
            var length = fileStream.Length;
            if (length <= Artifact.HeadSize + Artifact.TailSize)
            {
                // Small files are read whole for sniffing anyway: analyzers read that copy instead of reopening the file.
                var all = new byte[length];
                await fileStream.ReadExactlyAsync(all, cancellationToken).ConfigureAwait(false);
                return FromBytes(displayPath, null, 0, all, Path.GetFileName(fullPath));
            }

            var (head, tail) = await ReadHeadAndTailAsync(fileStream, length, cancellationToken).ConfigureAwait(false);
            return new Artifact(displayPath, null, 0, length, head, tail, _ => ValueTask.FromResult<Stream>(OpenFile(fullPath)), Path.GetFileName(fullPath));
        }
    }

    /// <summary>Content already in memory (a small member, a decompressed stream).</summary>
    public static Artifact FromBytes(string path, Artifact parent, ReadOnlyMemory<byte> bytes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return FromBytes(path, parent.Path, parent.Depth + 1, bytes, name);
    }

    public static Artifact FromBytes(string path, string? parent, int depth, ReadOnlyMemory<byte> bytes, string? name = null)
    {
        var head = bytes[..Math.Min(bytes.Length, Artifact.HeadSize)];
        var tail = bytes[Math.Max(0, bytes.Length - Artifact.TailSize)..];
        return new Artifact(path, parent, depth, bytes.Length, head, tail,
            _ => ValueTask.FromResult<Stream>(new ReadOnlyMemoryStream(bytes)), name);
    }

    /// <summary>A byte range of a seekable parent (a stored zip member, the pickle inside an .npy).</summary>
    public static async ValueTask<Artifact> FromSliceAsync(string path, Artifact parent, long offset, long length, CancellationToken cancellationToken, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        async ValueTask<Stream> Open(CancellationToken ct)
        {
            var inner = await parent.OpenAsync(ct).ConfigureAwait(false);
            if (!inner.CanSeek)
            {
                await inner.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"Cannot slice {parent.Path}: its stream is not seekable.");
            }

            return new SubStream(inner, offset, length);
        }

        var stream = await Open(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var actual = stream.Length;
            var (head, tail) = await ReadHeadAndTailAsync(stream, actual, cancellationToken).ConfigureAwait(false);
            return new Artifact(path, parent.Path, parent.Depth + 1, actual, head, tail, Open, name);
        }
    }

    /// <summary>
    /// Content produced by a stream factory (decompression). Small results are materialised; large ones stay
    /// streaming (head only; re-opened and re-decompressed when an analyzer reads them). The factory's streams
    /// should already be bounded (see <see cref="BoundedReadStream"/>).
    /// </summary>
    public static async ValueTask<Artifact> FromStreamAsync(string path, Artifact parent, Func<CancellationToken, ValueTask<Stream>> open, CancellationToken cancellationToken, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(open);
        var stream = await open(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[Math.Min(MaterializeBytes, 1 << 20)];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaterializeBytes)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, Math.Min(MaterializeBytes, buffer.Length * 2));
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return FromBytes(path, parent, buffer.AsMemory(0, filled), name);
                }

                filled += read;
            }

            var head = buffer.AsMemory(0, Artifact.HeadSize);
            return new Artifact(path, parent.Path, parent.Depth + 1, null, head, ReadOnlyMemory<byte>.Empty, open, name);
        }
    }

    private static FileStream OpenFile(string fullPath) =>
        new(fullPath, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.None });

    private static async ValueTask<(ReadOnlyMemory<byte> Head, ReadOnlyMemory<byte> Tail)> ReadHeadAndTailAsync(Stream stream, long length, CancellationToken cancellationToken)
    {
        if (length <= Artifact.HeadSize + Artifact.TailSize)
        {
            var all = new byte[length];
            stream.Position = 0;
            await stream.ReadExactlyAsync(all, cancellationToken).ConfigureAwait(false);
            var memory = (ReadOnlyMemory<byte>)all;
            return (memory[..Math.Min(all.Length, Artifact.HeadSize)], memory[Math.Max(0, all.Length - Artifact.TailSize)..]);
        }

        var head = new byte[Artifact.HeadSize];
        stream.Position = 0;
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        var tail = new byte[Artifact.TailSize];
        stream.Position = length - Artifact.TailSize;
        await stream.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);
        return (head, tail);
    }
}
