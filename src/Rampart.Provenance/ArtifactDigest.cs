using System.Security.Cryptography;

namespace Rampart.Provenance;

/// <summary>
/// "sha256:&lt;hex&gt;" digests of files, streamed. A small local helper until Rampart.Integrity's hashing lands;
/// then this should delegate to it.
/// </summary>
public static class ArtifactDigest
{
    /// <summary>The digest of the file at <paramref name="path"/>.</summary>
    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProvenanceException($"cannot hash '{path}': {e.Message}", e);
        }
    }

    /// <summary>The digest of <paramref name="data"/>.</summary>
    public static string Of(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
