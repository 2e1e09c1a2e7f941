using System.Globalization;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Gguf;

/// <summary>
/// GGUF model files (llama.cpp and friends), versions 1 to 3 in either byte order. Reads the header and metadata with
/// limits, validates the tensor infos against the file size and alignment without reading tensor data, reports bytes
/// no tensor accounts for, and parses every chat template stored in the metadata as a Jinja syntax tree to find what
/// an unsandboxed renderer would execute.
/// </summary>
internal sealed class GgufAnalyzer : IArtifactAnalyzer
{
    public const string HiddenData = "RAMP-GGUF-001";
    public const string DuplicateKeys = "RAMP-GGUF-002";

    /// <summary>Most hidden regions handed on as children.</summary>
    public const int MaxHiddenChildren = 16;

    /// <summary>Most general.* strings kept as facts, and their longest value.</summary>
    public const int MaxMetadataFacts = 32;

    public const int MaxFactValue = 200;

    public string Id => "gguf";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return artifact.Head.Length >= 8 && artifact.Head.Span.StartsWith(GgufReader.Magic);
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var header = await ReadHeaderAsync(artifact, result, context.Limits.MaxHeaderBytes, cancellationToken).ConfigureAwait(false);
        if (header is null)
        {
            return result;
        }

        SetFacts(result, header);
        if (header.DuplicateKeys.Count > 0)
        {
            result.Report(DuplicateKeys,
                $"the metadata repeats the key(s) {string.Join(", ", header.DuplicateKeys.Take(5).Select(k => "'" + GgufReader.Shorten(k) + "'"))}: readers disagree on which value wins (llama.cpp refuses the file, others keep the last)",
                FindingLocation.AtOffset(header.Metadata.Last(e => e.Key == header.DuplicateKeys[0]).Offset),
                [new("keys", string.Join(",", header.DuplicateKeys.Take(20)))]);
        }

        foreach (var entry in header.Metadata)
        {
            if (entry.Value is string template && (entry.Key == "tokenizer.chat_template" || entry.Key.StartsWith("tokenizer.chat_template.", StringComparison.Ordinal)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                ChatTemplateCheck.Check(result, template, entry.Key, cancellationToken);
            }
        }

        await CheckTensorsAsync(artifact, result, header, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async ValueTask<GgufHeader?> ReadHeaderAsync(Artifact artifact, AnalysisResult result, long limit, CancellationToken cancellationToken)
    {
        var buffer = artifact.Head;
        Stream? stream = null;
        byte[]? owned = null;
        try
        {
            while (true)
            {
                try
                {
                    return GgufReader.Parse(buffer.Span, cancellationToken);
                }
                catch (GgufNeedMoreDataException e)
                {
                    var end = artifact.HeadIsComplete ? buffer.Length : artifact.Length ?? long.MaxValue;
                    if (e.Needed > end || buffer.Length >= end)
                    {
                        result.Inconclusive($"the file ends inside the GGUF header (it needs at least {e.Needed:N0} bytes, the file has {Math.Min(end, buffer.Length):N0})", FindingLocation.AtOffset(Math.Min(end, buffer.Length)));
                        return null;
                    }

                    if (e.Needed > limit)
                    {
                        result.LimitReached("MaxHeaderBytes", $"the GGUF header and metadata need more than {limit:N0} bytes");
                        return null;
                    }

                    var want = Math.Min(Math.Min(Math.Max(e.Needed, (long)buffer.Length * 2), end), limit);
                    stream ??= await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
                    var next = new byte[want];
                    var have = 0;
                    if (owned is not null)
                    {
                        owned.CopyTo(next, 0);
                        have = owned.Length;
                    }
                    else if (stream.CanSeek)
                    {
                        stream.Position = 0;
                    }

                    var read = await stream.ReadAtLeastAsync(next.AsMemory(have), next.Length - have, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                    if (have + read < e.Needed)
                    {
                        result.Inconclusive($"the file ends inside the GGUF header (it needs at least {e.Needed:N0} bytes, the file has {have + read:N0})", FindingLocation.AtOffset(have + read));
                        return null;
                    }

                    owned = have + read == next.Length ? next : next[..(have + read)];
                    buffer = owned;
                }
            }
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void SetFacts(AnalysisResult result, GgufHeader header)
    {
        result.SetFact("version", header.Version);
        result.SetFact("tensors", header.Tensors.Count);
        if (header.BigEndian)
        {
            result.SetFact("byte_order", "big-endian");
        }

        var architecture = header.GetString("general.architecture");
        if (architecture is not null)
        {
            result.SetFact("architecture", Cut(architecture));
            if (header.Get(architecture + ".context_length")?.Value is long or ulong)
            {
                result.SetFact("context_length", Convert.ToString(header.Get(architecture + ".context_length")!.Value, CultureInfo.InvariantCulture)!);
            }
        }

        if (header.GetString("general.name") is { } name)
        {
            result.SetFact("name", Cut(name));
        }

        if (header.Get("general.file_type")?.Value is long fileType)
        {
            result.SetFact("quantization", GgmlTypes.FileTypeName(fileType));
        }

        foreach (var entry in header.Metadata.Where(e => e.Value is string && e.Key.StartsWith("general.", StringComparison.Ordinal)).Take(MaxMetadataFacts))
        {
            result.SetFact("metadata." + entry.Key, Cut((string)entry.Value));
        }

        var templates = header.Metadata.Count(e => e.Value is string && (e.Key == "tokenizer.chat_template" || e.Key.StartsWith("tokenizer.chat_template.", StringComparison.Ordinal)));
        if (templates > 0)
        {
            result.SetFact("chat_templates", templates);
        }
    }

    private static string Cut(string value) => value.Length <= MaxFactValue ? value : value[..MaxFactValue];

    private static async ValueTask CheckTensorsAsync(Artifact artifact, AnalysisResult result, GgufHeader header, CancellationToken cancellationToken)
    {
        var sized = new List<(GgufTensor Tensor, long Size)>();
        long parameters = 0;
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var tensor in header.Tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shown = GgufReader.Shorten(tensor.Name);
            var where = FindingLocation.AtOffset(tensor.InfoOffset);
            if (!GgmlTypes.TryGet(tensor.Type, out var typeName, out var block, out var blockBytes))
            {
                result.Inconclusive($"tensor '{shown}' has unknown ggml type {tensor.Type}", where);
                return;
            }

            types.Add(typeName);
            ulong elements = 1;
            foreach (var dim in tensor.Dims)
            {
                if (dim != 0 && elements > long.MaxValue / dim)
                {
                    result.Inconclusive($"tensor '{shown}': its dimensions {string.Join("x", tensor.Dims)} overflow", where);
                    return;
                }

                elements *= dim;
            }

            if (tensor.Dims.Count > 0 && tensor.Dims[0] % (ulong)block != 0)
            {
                result.Inconclusive($"tensor '{shown}': its first dimension {tensor.Dims[0]} is not a multiple of the {typeName} block size {block}", where);
                return;
            }

            var blocks = elements / (ulong)block;
            if (blocks > (ulong)(long.MaxValue / blockBytes))
            {
                result.Inconclusive($"tensor '{shown}': its byte size overflows", where);
                return;
            }

            if (tensor.Offset % header.Alignment != 0)
            {
                result.Inconclusive($"tensor '{shown}' starts at data offset {tensor.Offset}, not a multiple of the alignment {header.Alignment}", where);
                return;
            }

            parameters = parameters > long.MaxValue - (long)elements ? long.MaxValue : parameters + (long)elements;
            sized.Add((tensor, (long)blocks * blockBytes));
        }

        result.SetFact("parameters", parameters);
        result.SetFact("dtypes", string.Join(",", types));
        if (artifact.Length is not { } length)
        {
            return;
        }

        var dataLength = length - header.DataStart;
        if (dataLength < 0)
        {
            if (sized.Count > 0)
            {
                result.Inconclusive($"the file ends at {length:N0}, before its tensor data (which starts at {header.DataStart:N0})", FindingLocation.AtOffset(length));
            }

            return;
        }

        var hidden = new List<(long Start, long Length)>();
        long cursor = 0;
        foreach (var (tensor, size) in sized.OrderBy(s => s.Tensor.Offset))
        {
            var begin = (long)Math.Min(tensor.Offset, long.MaxValue / 2);
            if (begin > dataLength || size > dataLength - begin)
            {
                result.Inconclusive($"tensor '{GgufReader.Shorten(tensor.Name)}' ({size:N0} bytes at data offset {tensor.Offset:N0}) ends past the end of the file (truncated or forged offset)", FindingLocation.AtOffset(tensor.InfoOffset));
                return;
            }

            if (begin < cursor)
            {
                result.Inconclusive($"tensor '{GgufReader.Shorten(tensor.Name)}' at data offset {begin:N0} overlaps the previous tensor, which ends at {cursor:N0}", FindingLocation.AtOffset(tensor.InfoOffset));
                return;
            }

            var aligned = Align(cursor, header.Alignment);
            if (begin > aligned)
            {
                hidden.Add((aligned, begin - aligned));
            }

            cursor = begin + size;
        }

        var end = Align(cursor, header.Alignment);
        if (dataLength > end)
        {
            hidden.Add((end, dataLength - end));
        }

        for (var i = 0; i < hidden.Count; i++)
        {
            var (start, size) = hidden[i];
            var absolute = header.DataStart + start;
            result.Report(HiddenData,
                $"{size:N0} bytes at file offset {absolute:N0} belong to no tensor and are not alignment padding: loaders skip them, so they can carry content nobody inspects",
                FindingLocation.AtOffset(absolute),
                [new("offset", absolute.ToString(CultureInfo.InvariantCulture)), new("bytes", size.ToString(CultureInfo.InvariantCulture))]);
            if (i < MaxHiddenChildren)
            {
                var label = i == 0 ? "#hidden-data" : $"#hidden-data[{i + 1}]";
                result.AddChild(await ArtifactFactory.FromSliceAsync(artifact.Path + label, artifact, absolute, size, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    private static long Align(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;
}
