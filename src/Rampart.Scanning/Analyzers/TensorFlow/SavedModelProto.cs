using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.TensorFlow;

/// <summary>One NodeDef: its op, inputs and the string values Rampart may need (string attrs, string constants).</summary>
internal sealed record TfNode(string Name, string Op, string Scope, long Offset)
{
    public List<string> Inputs { get; } = [];

    /// <summary>String-valued attributes (s, list.s) by attribute name.</summary>
    public Dictionary<string, List<string>> StringAttrs { get; } = new(StringComparer.Ordinal);

    /// <summary>The string_val entries of a tensor attribute (a Const's value).</summary>
    public List<string> TensorStrings { get; } = [];
}

/// <summary>A graph or a library function: the nodes by name, for following inputs.</summary>
internal sealed class TfScope(string name, bool isFunction)
{
    public string Name { get; } = name;

    public bool IsFunction { get; } = isFunction;

    public Dictionary<string, TfNode> Nodes { get; } = new(StringComparer.Ordinal);

    public List<TfNode> Ordered { get; } = [];
}

/// <summary>What Rampart reads from a SavedModel (saved_model.pb): every meta graph's graph and function library.</summary>
internal sealed class SavedModelProto
{
    /// <summary>Most nodes read (graph and functions together) before the scan stops.</summary>
    public const int MaxNodes = 2_000_000;

    /// <summary>Most strings kept per node (attribute lists, constant tensors).</summary>
    public const int MaxStringsPerNode = 64;

    private int _nodes;

    public long SchemaVersion { get; private set; }

    public int MetaGraphs { get; private set; }

    public List<string> Tags { get; } = [];

    public string TfVersion { get; private set; } = "";

    public List<TfScope> Scopes { get; } = [];

    public int Functions { get; private set; }

    public List<(string Filename, long Offset)> Assets { get; } = [];

    public int Objects { get; private set; }

    public List<string> UserObjectIdentifiers { get; } = [];

    /// <summary>SavedUserObject.metadata strings (Keras JSON in older SavedModels): offset and length in the file.</summary>
    public List<(int Node, long Offset, int Length)> UserObjectMetadata { get; } = [];

    public long NodeCount => _nodes;

    /// <summary>True when the file is a bare GraphDef (a TF1 "frozen graph" .pb) rather than a SavedModel.</summary>
    public bool IsGraphDef { get; private set; }

    /// <summary>Parses a bare GraphDef (frozen graph): nodes and function library, no meta graph.</summary>
    public static SavedModelProto ParseGraphDefFile(ReadOnlySpan<byte> bytes)
    {
        var model = new SavedModelProto { IsGraphDef = true };
        model.ParseGraphDef(new ProtobufReader(bytes), "");
        return model;
    }

    public static SavedModelProto Parse(ReadOnlySpan<byte> bytes)
    {
        var model = new SavedModelProto();
        var r = new ProtobufReader(bytes);
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.Varint)
            {
                model.SchemaVersion = r.ReadInt64();
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                model.MetaGraphs++;
                model.ParseMetaGraph(r.ReadMessage(), model.MetaGraphs - 1);
            }
            else if (field is 1 or 2)
            {
                throw new MalformedContentException($"SavedModel field {field} has the wrong wire type {(int)wire}", r.FieldOffset);
            }
            else
            {
                r.Skip(wire);
            }
        }

        return model;
    }

    private void ParseMetaGraph(ProtobufReader r, int index)
    {
        var prefix = MetaGraphs > 1 || index > 0 ? $"meta_graphs[{index}]." : "";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (wire != WireType.LengthDelimited)
            {
                r.Skip(wire);
                continue;
            }

            switch (field)
            {
                case 1:
                    ParseMetaInfo(r.ReadMessage());
                    break;
                case 2:
                    ParseGraphDef(r.ReadMessage(), prefix);
                    break;
                case 6:
                    var at = r.FieldOffset;
                    var asset = r.ReadMessage();
                    while (asset.TryReadTag(out var f, out var w))
                    {
                        if (f == 2 && w == WireType.LengthDelimited)
                        {
                            Assets.Add((asset.ReadString(4096), at));
                        }
                        else
                        {
                            asset.Skip(w);
                        }
                    }

                    break;
                case 7:
                    ParseObjectGraph(r.ReadMessage());
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }

    private void ParseMetaInfo(ProtobufReader r)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 4 && wire == WireType.LengthDelimited)
            {
                var tag = r.ReadString(256);
                if (!Tags.Contains(tag))
                {
                    Tags.Add(tag);
                }
            }
            else if (field == 5 && wire == WireType.LengthDelimited)
            {
                TfVersion = r.ReadString(128);
            }
            else
            {
                r.Skip(wire);
            }
        }
    }

    private void ParseGraphDef(ProtobufReader r, string prefix)
    {
        var graph = new TfScope($"{prefix}graph", isFunction: false);
        Scopes.Add(graph);
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                var at = r.FieldOffset;
                AddNode(graph, ParseNode(r.ReadMessage(), graph.Name, at));
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                var library = r.ReadMessage();
                while (library.TryReadTag(out var f, out var w))
                {
                    if (f == 1 && w == WireType.LengthDelimited)
                    {
                        ParseFunction(library.ReadMessage(), prefix);
                    }
                    else
                    {
                        library.Skip(w);
                    }
                }
            }
            else
            {
                r.Skip(wire);
            }
        }
    }

    private void ParseFunction(ProtobufReader r, string prefix)
    {
        Functions++;
        var copy = r;
        var name = $"function#{Functions - 1}";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                var signature = r.ReadMessage();
                while (signature.TryReadTag(out var f, out var w))
                {
                    if (f == 1 && w == WireType.LengthDelimited)
                    {
                        name = signature.ReadString(512);
                    }
                    else
                    {
                        signature.Skip(w);
                    }
                }
            }
            else
            {
                r.Skip(wire);
            }
        }

        var scope = new TfScope($"{prefix}function {name}", isFunction: true);
        Scopes.Add(scope);
        while (copy.TryReadTag(out var field, out var wire))
        {
            if (field == 3 && wire == WireType.LengthDelimited)
            {
                var at = copy.FieldOffset;
                AddNode(scope, ParseNode(copy.ReadMessage(), scope.Name, at));
            }
            else
            {
                copy.Skip(wire);
            }
        }
    }

    private void AddNode(TfScope scope, TfNode node)
    {
        if (++_nodes > MaxNodes)
        {
            throw new LimitExceededException("savedmodel-nodes", $"the SavedModel has more than {MaxNodes:N0} nodes");
        }

        scope.Nodes.TryAdd(node.Name, node);
        scope.Ordered.Add(node);
    }

    private static TfNode ParseNode(ProtobufReader r, string scope, long offset)
    {
        var copy = r;
        string name = "", op = "";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                name = r.ReadString(512);
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                op = r.ReadString(256);
            }
            else
            {
                r.Skip(wire);
            }
        }

        var node = new TfNode(name, op, scope, offset);
        while (copy.TryReadTag(out var field, out var wire))
        {
            if (field == 3 && wire == WireType.LengthDelimited)
            {
                if (node.Inputs.Count < 4096)
                {
                    node.Inputs.Add(copy.ReadString(1024));
                }
                else
                {
                    copy.Skip(wire);
                }
            }
            else if (field == 5 && wire == WireType.LengthDelimited)
            {
                ParseAttrEntry(copy.ReadMessage(), node);
            }
            else
            {
                copy.Skip(wire);
            }
        }

        return node;
    }

    private static void ParseAttrEntry(ProtobufReader r, TfNode node)
    {
        var key = "";
        ProtobufReader value = default;
        var hasValue = false;
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                key = r.ReadString(256);
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                value = r.ReadMessage();
                hasValue = true;
            }
            else
            {
                r.Skip(wire);
            }
        }

        if (!hasValue)
        {
            return;
        }

        var strings = new List<string>();
        while (value.TryReadTag(out var field, out var wire))
        {
            if (wire != WireType.LengthDelimited)
            {
                value.Skip(wire);
                continue;
            }

            switch (field)
            {
                case 1:
                    var list = value.ReadMessage();
                    while (list.TryReadTag(out var f, out var w))
                    {
                        if (f == 2 && w == WireType.LengthDelimited && strings.Count < MaxStringsPerNode)
                        {
                            strings.Add(list.ReadString(4096));
                        }
                        else
                        {
                            list.Skip(w);
                        }
                    }

                    break;
                case 2:
                    strings.Add(value.ReadString(4096));
                    break;
                case 8:
                    var tensor = value.ReadMessage();
                    while (tensor.TryReadTag(out var f, out var w))
                    {
                        if (f == 8 && w == WireType.LengthDelimited && node.TensorStrings.Count < MaxStringsPerNode)
                        {
                            node.TensorStrings.Add(tensor.ReadString(4096));
                        }
                        else
                        {
                            tensor.Skip(w);
                        }
                    }

                    break;
                default:
                    value.Skip(wire);
                    break;
            }
        }

        if (strings.Count > 0)
        {
            node.StringAttrs[key] = strings;
        }
    }

    private void ParseObjectGraph(ProtobufReader r)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field != 1 || wire != WireType.LengthDelimited)
            {
                r.Skip(wire);
                continue;
            }

            Objects++;
            var saved = r.ReadMessage();
            while (saved.TryReadTag(out var f, out var w))
            {
                if (f != 4 || w != WireType.LengthDelimited)
                {
                    saved.Skip(w);
                    continue;
                }

                var user = saved.ReadMessage();
                while (user.TryReadTag(out var uf, out var uw))
                {
                    if (uf == 1 && uw == WireType.LengthDelimited)
                    {
                        var id = user.ReadString(256);
                        if (!UserObjectIdentifiers.Contains(id))
                        {
                            UserObjectIdentifiers.Add(id);
                        }
                    }
                    else if (uf == 3 && uw == WireType.LengthDelimited)
                    {
                        var bytes = user.ReadBytes();
                        if (bytes.Length > 0)
                        {
                            UserObjectMetadata.Add((Objects - 1, user.Offset - bytes.Length, bytes.Length));
                        }
                    }
                    else
                    {
                        user.Skip(uw);
                    }
                }
            }
        }
    }
}
