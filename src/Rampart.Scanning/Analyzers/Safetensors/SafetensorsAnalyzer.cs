using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Safetensors;

/// <summary>
/// safetensors files: an 8-byte little-endian header length, a JSON header, then raw tensor bytes. Validates the
/// header as strictly as the reference loader (and stricter on duplicate keys and padding), and accounts for every
/// byte of the data section from the header alone: a valid file is judged without reading any tensor byte. Bytes
/// no tensor claims are "hidden data", reported and handed back to the dispatch as <c>#hidden-data</c> children.
/// </summary>
internal sealed class SafetensorsAnalyzer : IArtifactAnalyzer
{
    public const string HiddenData = "RAMP-ST-001";
    public const string DuplicateKeys = "RAMP-ST-002";
    public const string HeaderPadding = "RAMP-ST-003";

    /// <summary>Most hidden regions handed on as children (each is reported; the rest are counted).</summary>
    public const int MaxHiddenChildren = 16;

    /// <summary>Metadata values are cut to this many characters in facts.</summary>
    public const int MaxFactValue = 200;

    public string Id => "safetensors";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        if (head.Length < 10 || head[8] != (byte)'{')
        {
            return false;
        }

        var length = SafetensorsHeader.ReadLength(head);
        if (length < 2 || length > uint.MaxValue)
        {
            return false;
        }

        // The first byte after '{' of a real header: a key, the closing brace or JSON whitespace.
        return head[9] is (byte)'"' or (byte)'}' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var declared = SafetensorsHeader.ReadLength(artifact.Head.Span);
        if (declared > SafetensorsHeader.MaxHeaderLength)
        {
            result.Inconclusive($"the header claims {declared:N0} bytes, more than the {SafetensorsHeader.MaxHeaderLength:N0} the safetensors loader accepts", FindingLocation.AtOffset(0));
            return result;
        }

        var headerLength = (long)declared;
        if (headerLength > context.Limits.MaxHeaderBytes)
        {
            result.LimitReached("MaxHeaderBytes", $"the safetensors header is {headerLength:N0} bytes");
            return result;
        }

        if (artifact.Length is { } known && 8 + headerLength > known)
        {
            result.Inconclusive($"the header claims {headerLength:N0} bytes but the file holds only {known - 8:N0} after the length field", FindingLocation.AtOffset(0));
            return result;
        }

        var json = await ReadHeaderAsync(artifact, headerLength, cancellationToken).ConfigureAwait(false);
        if (json is null)
        {
            result.Inconclusive($"the file ends inside its {headerLength:N0}-byte header", FindingLocation.AtOffset(8));
            return result;
        }

        var header = SafetensorsHeader.Parse(json.Value.Span, cancellationToken);
        SetFacts(result, header);
        if (header.DuplicateKeys.Count > 0)
        {
            result.Report(DuplicateKeys,
                $"the header repeats the key(s) {string.Join(", ", header.DuplicateKeys.Take(5).Select(k => "'" + SafetensorsHeader.Shorten(k) + "'"))}: JSON parsers disagree on which value wins, so Rampart and the loader may see different tensors",
                FindingLocation.AtOffset(8), [new("keys", string.Join(",", header.DuplicateKeys.Take(20)))]);
        }

        if (header.NonSpacePadding > 0)
        {
            result.Report(HeaderPadding,
                $"{header.NonSpacePadding} byte(s) of the header padding after the JSON are whitespace other than spaces (the writer pads with spaces only)",
                FindingLocation.AtOffset(8));
        }

        var dataLength = artifact.Length is { } total ? total - header.DataStart : await CountRestAsync(artifact, header.DataStart, cancellationToken).ConfigureAwait(false);
        await CheckLayoutAsync(artifact, result, header, dataLength, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static void SetFacts(AnalysisResult result, SafetensorsHeader header)
    {
        result.SetFact("tensors", header.Tensors.Count);
        long parameters = 0;
        foreach (var tensor in header.Tensors)
        {
            parameters = parameters > long.MaxValue - tensor.Elements ? long.MaxValue : parameters + tensor.Elements;
        }

        result.SetFact("parameters", parameters);
        result.SetFact("dtypes", string.Join(",", header.Tensors.Select(t => t.Dtype).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)));
        foreach (var (key, value) in header.Metadata)
        {
            var text = value.Length <= MaxFactValue ? value : value[..MaxFactValue];
            result.SetFact("metadata." + key, text);
            if (key == "format")
            {
                result.SetFact("format", text);
            }
        }
    }

    private static async ValueTask CheckLayoutAsync(Artifact artifact, AnalysisResult result, SafetensorsHeader header, long dataLength, CancellationToken cancellationToken)
    {
        var ordered = header.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        var hidden = new List<(long Start, long Length)>();
        long cursor = 0;
        foreach (var tensor in ordered)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tensor.End > dataLength)
            {
                result.Inconclusive($"tensor '{SafetensorsHeader.Shorten(tensor.Name)}' ends at data offset {tensor.End:N0} but the data section holds {dataLength:N0} bytes (truncated file)",
                    FindingLocation.AtOffset(header.DataStart + tensor.Begin));
                return;
            }

            if (tensor.Begin < cursor)
            {
                result.Inconclusive($"tensor '{SafetensorsHeader.Shorten(tensor.Name)}' starts at data offset {tensor.Begin:N0}, inside the previous tensor (ends at {cursor:N0}): overlapping tensors alias each other's bytes",
                    FindingLocation.AtOffset(header.DataStart + tensor.Begin));
                return;
            }

            if (tensor.Begin > cursor)
            {
                hidden.Add((cursor, tensor.Begin - cursor));
            }

            cursor = Math.Max(cursor, tensor.End);
        }

        if (dataLength > cursor)
        {
            hidden.Add((cursor, dataLength - cursor));
        }

        for (var i = 0; i < hidden.Count; i++)
        {
            var (start, length) = hidden[i];
            var absolute = header.DataStart + start;
            var where = start == cursor && i == hidden.Count - 1 && dataLength > cursor ? "after the last tensor" : "between tensors";
            result.Report(HiddenData,
                $"{length:N0} bytes at file offset {absolute:N0} ({where}) belong to no tensor: the loader refuses or ignores them, so they can carry content nobody inspects",
                FindingLocation.AtOffset(absolute),
                [new("offset", absolute.ToString(CultureInfo.InvariantCulture)), new("bytes", length.ToString(CultureInfo.InvariantCulture))]);
            if (i < MaxHiddenChildren && artifact.Length is not null)
            {
                var label = i == 0 ? "#hidden-data" : $"#hidden-data[{i + 1}]";
                result.AddChild(await ArtifactFactory.FromSliceAsync(artifact.Path + label, artifact, absolute, length, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>The header bytes after the length field: from the head when it holds them, else read (only them) from the stream.</summary>
    private static async ValueTask<ReadOnlyMemory<byte>?> ReadHeaderAsync(Artifact artifact, long headerLength, CancellationToken cancellationToken)
    {
        if (artifact.Head.Length >= 8 + headerLength)
        {
            return artifact.Head.Slice(8, (int)headerLength);
        }

        var buffer = new byte[headerLength];
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await ReadAtLeastAsync(stream, new byte[8], cancellationToken).ConfigureAwait(false);
            return await ReadAtLeastAsync(stream, buffer, cancellationToken).ConfigureAwait(false) == buffer.Length ? buffer : null;
        }
    }

    private static async ValueTask<int> ReadAtLeastAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

    /// <summary>For a stream of unknown length (a decompressed child): counts the bytes after the header by reading them.</summary>
    private static async ValueTask<long> CountRestAsync(Artifact artifact, long start, CancellationToken cancellationToken)
    {
        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            if (total < start)
            {
                throw new MalformedContentException("the stream ends inside the safetensors header", total);
            }

            return total - start;
        }
    }
}
