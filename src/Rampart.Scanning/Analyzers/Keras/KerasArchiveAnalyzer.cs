using System.IO.Compression;
using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Keras;

/// <summary>
/// The Keras 3 native format (.keras): a zip holding config.json (judged by <see cref="KerasConfigAnalyzer"/>, to
/// which the zip analyzer hands every member), metadata.json (Keras version, save date) and model.weights.h5 (an
/// HDF5 file). This analyzer recognises the layout from the zip directory and records what wrote the file.
/// </summary>
internal sealed class KerasArchiveAnalyzer : IArtifactAnalyzer
{
    /// <summary>metadata.json larger than this is not read (Keras writes about a hundred bytes).</summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    public string Id => "keras";

    public int Version => 1;

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return ZipReader.StartsLikeZip(artifact.Head.Span);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ZipDirectory directory;
            try
            {
                directory = await ZipReader.ReadAsync(artifact, stream, context.Limits, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MalformedContentException or LimitExceededException)
            {
                result.MarkNotThisFormat(); // The zip analyzer reports the broken archive.
                return result;
            }

            var byName = directory.Entries.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            if (!byName.ContainsKey("config.json") || !(byName.ContainsKey("metadata.json") || byName.ContainsKey("model.weights.h5")))
            {
                result.MarkNotThisFormat();
                return result;
            }

            result.SetFact("format", "keras-v3");
            result.SetFact("members", directory.Entries.Count);
            if (byName.TryGetValue("metadata.json", out var metadata))
            {
                await ReadMetadataAsync(stream, metadata, result, cancellationToken).ConfigureAwait(false);
            }

            if (byName.TryGetValue("model.weights.h5", out var weights))
            {
                var first = await ReadMemberAsync(stream, weights, Hdf5Signature.Length, cancellationToken).ConfigureAwait(false);
                result.SetFact("weights", first is not null && first.AsSpan().StartsWith(Hdf5Signature) ? "hdf5" : "not-hdf5");
            }
            else if (byName.ContainsKey("model.weights.npz"))
            {
                result.SetFact("weights", "npz");
            }

            var extra = directory.Entries.Where(e => e.Name is not ("config.json" or "metadata.json" or "model.weights.h5" or "model.weights.npz")
                && !e.Name.StartsWith("assets/", StringComparison.Ordinal)).Select(e => e.Name).ToList();
            if (extra.Count > 0)
            {
                result.SetFact("other_members", string.Join(", ", extra.Take(20)) + (extra.Count > 20 ? $" and {extra.Count - 20} more" : string.Empty));
            }
        }

        return result;
    }

    private static async ValueTask ReadMetadataAsync(Stream stream, ZipEntry entry, AnalysisResult result, CancellationToken cancellationToken)
    {
        var bytes = await ReadMemberAsync(stream, entry, MaxMetadataBytes, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            result.Inconclusive("metadata.json of the .keras archive could not be read", FindingLocation.AtOffset(entry.HeaderOffset, "member metadata.json"));
            return;
        }

        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                throw new JsonException("not valid UTF-8 text");
            }

            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                result.Inconclusive("metadata.json of the .keras archive is not a JSON object", FindingLocation.AtOffset(entry.HeaderOffset, "member metadata.json"));
                return;
            }

            foreach (var (key, fact) in new[] { ("keras_version", "version"), ("date_saved", "date_saved"), ("backend", "backend") })
            {
                if (document.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    result.SetFact(fact, value.GetString()!);
                }
            }
        }
        catch (JsonException e)
        {
            result.Inconclusive($"metadata.json of the .keras archive is not well-formed JSON: {e.Message}", FindingLocation.AtOffset(entry.HeaderOffset, "member metadata.json"));
        }
    }

    /// <summary>Up to <paramref name="maxBytes"/> bytes of a stored or deflated member; null when they cannot be read.</summary>
    private static async ValueTask<byte[]?> ReadMemberAsync(Stream stream, ZipEntry entry, int maxBytes, CancellationToken cancellationToken)
    {
        if (!entry.HasLocalHeader || entry.IsEncrypted || entry.DataEnd > stream.Length || entry.CompressedSize < 0)
        {
            return null;
        }

        try
        {
            if (entry.Method == 0)
            {
                return await ZipReader.ReadAtAsync(stream, entry.DataOffset, (int)Math.Min(maxBytes, entry.CompressedSize), cancellationToken).ConfigureAwait(false);
            }

            if (entry.Method != 8)
            {
                return null;
            }

            var compressed = new SubStream(stream, entry.DataOffset, entry.CompressedSize);
            await using (compressed.ConfigureAwait(false))
            {
                var inflate = new DeflateStream(compressed, CompressionMode.Decompress, leaveOpen: true);
                await using (inflate.ConfigureAwait(false))
                {
                    var buffer = new byte[maxBytes];
                    var filled = 0;
                    while (filled < buffer.Length)
                    {
                        var read = await inflate.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            break;
                        }

                        filled += read;
                    }

                    return buffer[..filled];
                }
            }
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
