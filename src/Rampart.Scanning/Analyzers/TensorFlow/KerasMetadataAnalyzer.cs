using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.TensorFlow;

/// <summary>
/// keras_metadata.pb beside a Keras-written SavedModel: a SavedMetadata message whose nodes carry each Keras
/// object's config as a JSON string. Each JSON string goes back to the dispatch as a child artifact
/// (<c>#keras_metadata[node-id]</c>) so that the Keras config analyzer judges it (Lambda layers, custom objects).
/// </summary>
internal sealed class KerasMetadataAnalyzer : IArtifactAnalyzer
{
    private static ReadOnlySpan<byte> KerasIdentifierPrefix => "_tf_keras_"u8;

    public string Id => "tf-keras-metadata";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return LooksLikeMetadata(artifact.Head.Span);
    }

    /// <summary>The first node (field 1) holds only SavedObject fields and an identifier starting with "_tf_keras_".</summary>
    internal static bool LooksLikeMetadata(ReadOnlySpan<byte> head)
    {
        if (head.Length < 4 || head[0] != 0x0A)
        {
            return false;
        }

        try
        {
            var r = new ProtobufReader(head);
            r.TryReadTag(out _, out _);
            var length = (long)r.ReadVarint();
            var start = (int)r.Offset;
            var available = (int)Math.Min(length, head.Length - start);
            var node = new ProtobufReader(head.Slice(start, available));
            while (node.TryReadTag(out var field, out var wire))
            {
                switch (field)
                {
                    case 2 when wire == WireType.Varint:
                        node.ReadVarint();
                        break;
                    case 3 when wire == WireType.LengthDelimited:
                        node.ReadBytes();
                        break;
                    case 4 when wire == WireType.LengthDelimited:
                        return node.ReadBytes().StartsWith(KerasIdentifierPrefix);
                    default:
                        return false;
                }
            }
        }
        catch (MalformedContentException)
        {
            return false;
        }

        return false;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await ArtifactBytes.ReadAllAsync(artifact, context.Limits.MaxInMemoryMemberBytes, "max-in-memory-member-bytes", cancellationToken).ConfigureAwait(false);
        var children = Parse(bytes.Span, out var nodes, out var identifiers);
        result.SetFact("nodes", nodes);
        result.SetFact("metadata_nodes", children.Count);
        result.SetFact("identifiers", string.Join(", ", identifiers));
        foreach (var (nodeId, offset, length) in children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.AddChild(ArtifactFactory.FromBytes($"{artifact.Path}#keras_metadata[{nodeId}]", artifact, bytes.Slice((int)offset, length), $"keras-metadata-{nodeId}.json"));
        }

        return result;
    }

    private static List<(long NodeId, long Offset, int Length)> Parse(ReadOnlySpan<byte> bytes, out long nodes, out List<string> identifiers)
    {
        var children = new List<(long, long, int)>();
        identifiers = [];
        nodes = 0;
        var r = new ProtobufReader(bytes);
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field != 1 || wire != WireType.LengthDelimited)
            {
                r.Skip(wire);
                continue;
            }

            nodes++;
            var node = r.ReadMessage();
            long nodeId = 0;
            (long Offset, int Length)? metadata = null;
            while (node.TryReadTag(out var f, out var w))
            {
                if (f == 2 && w == WireType.Varint)
                {
                    nodeId = node.ReadInt64();
                }
                else if (f == 4 && w == WireType.LengthDelimited)
                {
                    var id = node.ReadString(256);
                    if (!identifiers.Contains(id))
                    {
                        identifiers.Add(id);
                    }
                }
                else if (f == 5 && w == WireType.LengthDelimited)
                {
                    var json = node.ReadBytes();
                    metadata = json.Length > 0 ? (node.Offset - json.Length, json.Length) : null;
                }
                else
                {
                    node.Skip(w);
                }
            }

            if (metadata is { } m)
            {
                children.Add((nodeId, m.Offset, m.Length));
            }
        }

        return children;
    }
}
