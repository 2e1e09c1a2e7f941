using Rampart.Scanning.Engine;

namespace Rampart.Scanning.IO;

/// <summary>Reads a whole artifact into memory for formats that must be parsed as one block (protobuf, flatbuffers).</summary>
internal static class ArtifactBytes
{
    /// <summary>
    /// The artifact's bytes, or <see cref="LimitExceededException"/> (limit <paramref name="limitName"/>) when it is
    /// larger than <paramref name="maxBytes"/>; the length is checked before anything is allocated.
    /// </summary>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAllAsync(Artifact artifact, long maxBytes, string limitName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (artifact.HeadIsComplete)
        {
            return artifact.Head;
        }

        var cap = Math.Min(maxBytes, Array.MaxLength);
        if (artifact.Length is { } length && length > cap)
        {
            throw new LimitExceededException(limitName, $"{artifact.Name} is {length:N0} bytes, more than the {cap:N0} read into memory to parse it");
        }

        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (artifact.Length is { } known)
            {
                var all = new byte[known];
                await stream.ReadExactlyAsync(all, cancellationToken).ConfigureAwait(false);
                return all;
            }

            using var copy = new MemoryStream();
            var bounded = new BoundedReadStream(stream, cap, artifact.Name);
            await using (bounded.ConfigureAwait(false))
            {
                try
                {
                    await bounded.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                }
                catch (LimitExceededException)
                {
                    throw new LimitExceededException(limitName, $"{artifact.Name} is more than the {cap:N0} bytes read into memory to parse it");
                }
            }

            return copy.ToArray();
        }
    }
}
