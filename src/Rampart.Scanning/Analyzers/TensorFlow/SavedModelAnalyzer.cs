using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.TensorFlow;

/// <summary>
/// TensorFlow SavedModel graphs (saved_model.pb): walks every meta graph's GraphDef and function library with
/// Rampart's own protobuf reader and reports ops that reach beyond tensors (Python callbacks, file system, network)
/// with the node and function names, following path inputs back to string constants where it can.
/// </summary>
internal sealed class SavedModelAnalyzer : IArtifactAnalyzer
{
    public const string PythonOp = "RAMP-TF-001";
    public const string FileWriteOp = "RAMP-TF-002";
    public const string FileReadOp = "RAMP-TF-003";
    public const string NetworkOp = "RAMP-TF-004";
    public const string PathOutsideModel = "RAMP-TF-005";

    /// <summary>Most nodes visited when following one input back to its constants.</summary>
    public const int MaxTraceNodes = 256;

    public string Id => "savedmodel";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return LooksLikeSavedModel(artifact.Head.Span) || LooksLikeGraphDef(artifact.Head.Span);
    }

    /// <summary>A bare GraphDef (TF1 frozen graph): field 1 is a NodeDef whose first fields are a name and an op identifier.</summary>
    internal static bool LooksLikeGraphDef(ReadOnlySpan<byte> head)
    {
        if (head.Length < 6 || head[0] != 0x0A)
        {
            return false;
        }

        try
        {
            var r = new ProtobufReader(head);
            r.TryReadTag(out _, out _);
            var length = r.ReadVarint();
            var start = (int)r.Offset;
            var node = new ProtobufReader(head.Slice(start, (int)Math.Min(length, (ulong)(head.Length - start))));
            if (!node.TryReadTag(out var f1, out var w1) || f1 != 1 || w1 != WireType.LengthDelimited)
            {
                return false;
            }

            var name = node.ReadBytes();
            if (name.IsEmpty || name.ContainsAnyExcept(NameChars))
            {
                return false;
            }

            if (!node.TryReadTag(out var f2, out var w2) || f2 != 2 || w2 != WireType.LengthDelimited)
            {
                return false;
            }

            var op = node.ReadBytes();
            return !op.IsEmpty && char.IsAsciiLetterUpper((char)op[0]) && !op.ContainsAnyExcept(OpChars);
        }
        catch (MalformedContentException)
        {
            return false;
        }
    }

    private static readonly System.Buffers.SearchValues<byte> OpChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_>"u8);

    private static readonly System.Buffers.SearchValues<byte> NameChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-"u8);

    /// <summary>saved_model_schema_version (field 1, a small varint) followed by a meta graph (field 2) starting with meta_info_def or graph_def.</summary>
    internal static bool LooksLikeSavedModel(ReadOnlySpan<byte> head)
    {
        if (head.Length < 5 || head[0] != 0x08 || head[1] is 0 or > 9 || head[2] != 0x12)
        {
            return false;
        }

        var i = 3;
        while (i < head.Length && i < 13 && head[i] >= 0x80)
        {
            i++;
        }

        return i + 1 < head.Length && head[i + 1] is 0x0A or 0x12;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await ArtifactBytes.ReadAllAsync(artifact, context.Limits.MaxInMemoryMemberBytes, "max-in-memory-member-bytes", cancellationToken).ConfigureAwait(false);
        var model = LooksLikeSavedModel(bytes.Span) ? SavedModelProto.Parse(bytes.Span) : SavedModelProto.ParseGraphDefFile(bytes.Span);
        if (model.MetaGraphs == 0 && !model.IsGraphDef)
        {
            result.Inconclusive("the SavedModel has no meta graph", FindingLocation.AtOffset(0));
            return result;
        }

        SetFacts(result, model);
        var findings = new CappedFindings(result);
        foreach (var scope in model.Scopes)
        {
            foreach (var node in scope.Ordered)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TfOpCatalog.Ops.TryGetValue(node.Op, out var info))
                {
                    Judge(scope, node, info, findings);
                }
            }
        }

        foreach (var (filename, offset) in model.Assets)
        {
            if (PathText.Escapes(filename) is { } why)
            {
                findings.Report(PathOutsideModel, $"asset file '{filename}' {why}: loading the SavedModel hands that path to the graph as an asset",
                    FindingLocation.AtOffset(offset, "asset_file_def"), [new("path", filename), new("name", "asset")]);
            }
        }

        findings.Summarize();
        foreach (var (node, offset, length) in model.UserObjectMetadata)
        {
            result.AddChild(ArtifactFactory.FromBytes($"{artifact.Path}#user_object_metadata[{node}]", artifact, bytes.Slice((int)offset, length), $"object-{node}.json"));
        }

        return result;
    }

    private static void SetFacts(AnalysisResult result, SavedModelProto model)
    {
        result.SetFact("format", model.IsGraphDef ? "GraphDef" : "SavedModel");
        if (model.IsGraphDef)
        {
            result.SetFact("nodes", model.NodeCount);
            result.SetFact("ops", model.Scopes.SelectMany(s => s.Ordered).Select(n => n.Op).Distinct(StringComparer.Ordinal).Count());
            result.SetFact("functions", model.Functions);
            return;
        }

        result.SetFact("schema_version", model.SchemaVersion);
        if (model.TfVersion.Length > 0)
        {
            result.SetFact("tf_version", model.TfVersion);
        }

        result.SetFact("tags", string.Join(", ", model.Tags));
        result.SetFact("meta_graphs", model.MetaGraphs);
        result.SetFact("nodes", model.NodeCount);
        result.SetFact("ops", model.Scopes.SelectMany(s => s.Ordered).Select(n => n.Op).Distinct(StringComparer.Ordinal).Count());
        result.SetFact("functions", model.Functions);
        if (model.Objects > 0)
        {
            result.SetFact("objects", model.Objects);
        }

        if (model.UserObjectIdentifiers.Count > 0)
        {
            result.SetFact("user_objects", string.Join(", ", model.UserObjectIdentifiers));
        }

        if (model.Assets.Count > 0)
        {
            result.SetFact("assets", model.Assets.Count);
        }
    }

    private static void Judge(TfScope scope, TfNode node, TfOpInfo info, CappedFindings findings)
    {
        var where = scope.IsFunction ? $"node '{node.Name}' in {scope.Name}" : $"node '{node.Name}' of the {scope.Name}";
        var location = FindingLocation.AtOffset(node.Offset, scope.Name);
        var props = new List<KeyValuePair<string, string>> { new("op", node.Op), new("node", node.Name), new("scope", scope.Name), new("name", node.Op) };

        var paths = new List<string>();
        foreach (var index in info.PathInputs)
        {
            if (index < node.Inputs.Count)
            {
                paths.AddRange(ConstantStrings(scope, node.Inputs[index]));
            }
        }

        foreach (var attr in info.PathAttrs)
        {
            if (node.StringAttrs.TryGetValue(attr, out var values))
            {
                paths.AddRange(values.Where(v => v.Length > 0));
            }
        }

        var escaping = paths.Select(p => (Path: p, Why: PathText.Escapes(p))).FirstOrDefault(p => p.Why is not null);
        var klass = info.Class;
        if (klass == TfOpClass.Debug)
        {
            // Debug ops only leave the process through their attributes: file:// dumps are writes, grpc:// and others network.
            if (paths.Count == 0 || (node.Op == "PrintV2" && !paths.Any(p => p.StartsWith("file://", StringComparison.OrdinalIgnoreCase))))
            {
                return;
            }

            klass = paths.Any(p => p.Contains("://", StringComparison.Ordinal) && !p.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
                ? TfOpClass.Network
                : TfOpClass.FileWrite;
        }

        if (escaping.Why is not null && klass != TfOpClass.Network)
        {
            props.Add(new("path", escaping.Path));
            findings.Report(PathOutsideModel,
                $"{where} ({node.Op}, {Describe(klass)}) is given the path '{escaping.Path}', which {escaping.Why}: running the graph touches a file outside the model",
                location, props);
            return;
        }

        if (paths.Count > 0)
        {
            props.Add(new("path", string.Join(", ", paths.Distinct(StringComparer.Ordinal).Take(4))));
        }

        var pathNote = paths.Count > 0 ? $" (path: '{paths[0]}')" : " (path computed at run time)";
        switch (klass)
        {
            case TfOpClass.Python:
                findings.Report(PythonOp,
                    $"{where} is {node.Op}: it calls a Python function that the loading program must have registered under the token '{Token(node)}'; whatever Python is registered under that token runs with the model",
                    location, props);
                break;
            case TfOpClass.FileWrite:
                findings.Report(FileWriteOp, $"{where} is {node.Op}, which writes files when the graph runs{pathNote}", location, props);
                break;
            case TfOpClass.FileRead:
                findings.Report(FileReadOp, $"{where} is {node.Op}, which reads files or lists folders when the graph runs{pathNote}", location, props);
                break;
            case TfOpClass.Network:
                findings.Report(NetworkOp, $"{where} is {node.Op}, which connects to other hosts when the graph runs{(paths.Count > 0 ? $" ('{paths[0]}')" : "")}", location, props);
                break;
            default:
                break;
        }
    }

    private static string Token(TfNode node) =>
        node.StringAttrs.TryGetValue("token", out var token) && token.Count > 0 ? token[0] : "?";

    private static string Describe(TfOpClass klass) => klass switch
    {
        TfOpClass.FileWrite => "writes files",
        TfOpClass.FileRead => "reads files",
        TfOpClass.Checkpoint => "saves or restores checkpoint data",
        _ => "touches files",
    };

    /// <summary>The string constants an input is computed from, following inputs back through the scope (not into callers).</summary>
    internal static List<string> ConstantStrings(TfScope scope, string input)
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(input);
        while (queue.Count > 0 && seen.Count < MaxTraceNodes)
        {
            var next = queue.Dequeue();
            if (next.StartsWith('^'))
            {
                continue;
            }

            var colon = next.IndexOf(':', StringComparison.Ordinal);
            var name = colon >= 0 ? next[..colon] : next;
            if (!seen.Add(name) || !scope.Nodes.TryGetValue(name, out var source))
            {
                continue;
            }

            if (source.Op == "Const")
            {
                found.AddRange(source.TensorStrings);
                continue;
            }

            foreach (var upstream in source.Inputs)
            {
                queue.Enqueue(upstream);
            }
        }

        return found;
    }
}
