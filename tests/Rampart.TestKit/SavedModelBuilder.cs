namespace Rampart.TestKit;

/// <summary>
/// Builds TensorFlow SavedModel protobufs by hand (saved_model.proto, meta_graph.proto, graph.proto, node_def.proto,
/// function.proto, attr_value.proto field numbers): one meta graph with graph nodes, library functions, assets and
/// object-graph user objects. Also builds keras_metadata.pb and fingerprint.pb.
/// </summary>
public sealed class SavedModelBuilder
{
    private readonly List<Action<ProtobufWriter>> _nodes = [];
    private readonly List<(string Name, List<Action<ProtobufWriter>> Nodes)> _functions = [];
    private readonly List<string> _assets = [];
    private readonly List<(string Identifier, string Metadata)> _userObjects = [];
    private string _tfVersion = "2.15.0";

    public SavedModelBuilder TfVersion(string version)
    {
        _tfVersion = version;
        return this;
    }

    /// <summary>A graph node; <paramref name="attrs"/> adds attr map entries (see <see cref="StringAttr"/>).</summary>
    public SavedModelBuilder Node(string name, string op, string[]? inputs = null, Action<ProtobufWriter>? attrs = null)
    {
        _nodes.Add(w => w.Message(1, n => WriteNode(n, name, op, inputs ?? [], attrs)));
        return this;
    }

    /// <summary>A string Const node.</summary>
    public SavedModelBuilder Const(string name, string value) => Node(name, "Const", [], ConstValue(value));

    /// <summary>A library function whose body nodes are added by <paramref name="body"/>.</summary>
    public SavedModelBuilder Function(string name, Action<FunctionBody> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var f = new FunctionBody();
        body(f);
        _functions.Add((name, f.Nodes));
        return this;
    }

    public SavedModelBuilder Asset(string filename)
    {
        _assets.Add(filename);
        return this;
    }

    public SavedModelBuilder UserObject(string identifier, string metadata = "")
    {
        _userObjects.Add((identifier, metadata));
        return this;
    }

    public byte[] Build()
    {
        return new ProtobufWriter()
            .Number(1, 1)
            .Message(2, meta =>
            {
                meta.Message(1, info => info.Text(1, "").Text(4, "serve").Text(5, _tfVersion).Text(6, "v" + _tfVersion));
                meta.Message(2, WriteGraph);
                foreach (var asset in _assets)
                {
                    meta.Message(6, a => a.Message(1, t => t.Text(1, "asset_path:0")).Text(2, asset));
                }

                meta.Message(7, objects =>
                {
                    objects.Message(1, root => root.Message(4, user => user.Text(1, "_generic_user_object")));
                    foreach (var (identifier, metadata) in _userObjects)
                    {
                        objects.Message(1, o => o.Message(4, user =>
                        {
                            user.Text(1, identifier).Message(2, v => v.Number(1, 1));
                            if (metadata.Length > 0)
                            {
                                user.Text(3, metadata);
                            }
                        }));
                    }
                });
            })
            .ToArray();
    }

    /// <summary>Only the GraphDef, as a TF1 "frozen graph" .pb file holds it.</summary>
    public byte[] BuildGraphDef()
    {
        var graph = new ProtobufWriter();
        WriteGraph(graph);
        return graph.ToArray();
    }

    private void WriteGraph(ProtobufWriter graph)
    {
        foreach (var node in _nodes)
        {
            node(graph);
        }

        graph.Message(2, library =>
        {
            foreach (var (name, nodes) in _functions)
            {
                library.Message(1, function =>
                {
                    function.Message(1, signature => signature.Text(1, name).Message(2, arg => arg.Text(1, "file_prefix").Number(3, 7)));
                    foreach (var node in nodes)
                    {
                        node(function);
                    }
                });
            }
        });
        graph.Message(4, version => version.Number(1, 1645));
    }

    /// <summary>An attr map entry with a string value (AttrValue.s).</summary>
    public static Action<ProtobufWriter> StringAttr(string key, string value) =>
        n => n.Message(5, e => e.Text(1, key).Message(2, v => v.Text(2, value)));

    /// <summary>An attr map entry with a list of strings (AttrValue.list.s).</summary>
    public static Action<ProtobufWriter> StringListAttr(string key, params string[] values) =>
        n => n.Message(5, e => e.Text(1, key).Message(2, v => v.Message(1, list =>
        {
            foreach (var s in values)
            {
                list.Text(2, s);
            }
        })));

    /// <summary>The "value" and "dtype" attrs of a string Const.</summary>
    public static Action<ProtobufWriter> ConstValue(string value) => n =>
    {
        n.Message(5, e => e.Text(1, "dtype").Message(2, v => v.Number(6, 7)));
        n.Message(5, e => e.Text(1, "value").Message(2, v => v.Message(8, t => t.Number(1, 7).Message(2, _ => { }).Text(8, value))));
    };

    /// <summary>A keras_metadata.pb: one SavedObject per (identifier, JSON) pair, node ids from 0.</summary>
    public static byte[] KerasMetadata(params (string Identifier, string Json)[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var w = new ProtobufWriter();
        for (var i = 0; i < nodes.Length; i++)
        {
            var id = i;
            var (identifier, json) = nodes[i];
            w.Message(1, n =>
            {
                if (id != 0)
                {
                    n.Number(2, id);
                }

                n.Text(3, id == 0 ? "root" : $"root.layer-{id}").Text(4, identifier).Text(5, json).Message(6, v => v.Number(1, 1).Number(2, 1));
            });
        }

        return w.ToArray();
    }

    /// <summary>A fingerprint.pb with the five hashes and the producer version.</summary>
    public static byte[] Fingerprint(ulong checksum = 1234567890123456789UL) =>
        new ProtobufWriter().Varint(1, checksum).Varint(2, 11).Varint(3, 22).Varint(4, 33).Varint(5, 44).Message(6, v => v.Number(1, 1)).ToArray();

    internal static void WriteNode(ProtobufWriter n, string name, string op, string[] inputs, Action<ProtobufWriter>? attrs)
    {
        n.Text(1, name).Text(2, op);
        foreach (var input in inputs)
        {
            n.Text(3, input);
        }

        attrs?.Invoke(n);
    }

    /// <summary>The nodes of one library function.</summary>
    public sealed class FunctionBody
    {
        internal List<Action<ProtobufWriter>> Nodes { get; } = [];

        public FunctionBody Node(string name, string op, string[]? inputs = null, Action<ProtobufWriter>? attrs = null)
        {
            Nodes.Add(w => w.Message(3, n => WriteNode(n, name, op, inputs ?? [], attrs)));
            return this;
        }

        public FunctionBody Const(string name, string value) => Node(name, "Const", [], ConstValue(value));
    }
}
