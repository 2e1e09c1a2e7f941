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
                await ReadMetadataAsync(artifact, metadata, result, cancellationToken).ConfigureAwait(false);
            }

            if (byName.TryGetValue("model.weights.h5", out var weights))
            {
                var first = await ReadMemberAsync(artifact, weights, Hdf5Signature.Length, result, cancellationToken).ConfigureAwait(false);
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

    private static async ValueTask ReadMetadataAsync(Artifact artifact, ZipEntry entry, AnalysisResult result, CancellationToken cancellationToken)
    {
        var bytes = await ReadMemberAsync(artifact, entry, MaxMetadataBytes, result, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Up to <paramref name="maxBytes"/> bytes of a member, through the same bounded path as every zip reader; null
    /// (with the reason recorded) when they cannot be read. Keras opens the archive with Python's zipfile, which
    /// refuses encrypted members and members whose CRC-32 does not match, so such a member is Inconclusive here.
    /// </summary>
    private static async ValueTask<byte[]?> ReadMemberAsync(Artifact artifact, ZipEntry entry, int maxBytes, AnalysisResult result, CancellationToken cancellationToken)
    {
        var location = FindingLocation.AtOffset(entry.HeaderOffset, $"member {entry.Name}");
        if (!entry.HasLocalHeader || entry.IsEncrypted || entry.DataEnd > artifact.Length || entry.CompressedSize < 0)
        {
            return null;
        }

        try
        {
            var (bytes, problem) = await ZipMemberReader.ReadAsync(artifact, entry, result.Context.Limits, maxBytes, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                result.Inconclusive($"{problem}; Keras (Python's zipfile) refuses to load it", location);
                return null;
            }

            return bytes;
        }
        catch (LimitExceededException e)
        {
            result.LimitReached(e.LimitName, $"member '{entry.Name}': {e.Message}", location);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or MalformedContentException)
        {
            result.Inconclusive($"member '{entry.Name}' of the .keras archive could not be decoded ({e.Message})", location);
            return null;
        }
    }
}
