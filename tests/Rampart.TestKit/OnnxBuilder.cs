namespace Rampart.TestKit;

/// <summary>
/// Builds ONNX ModelProto bytes by hand (field numbers of onnx.proto), for fixtures that python3-onnx would refuse
/// to write or that must exist without Python: one graph of nodes and initializers, opsets, functions, metadata.
/// </summary>
public sealed class OnnxBuilder
{
    private readonly List<Action<ProtobufWriter>> _nodes = [];
    private readonly List<Action<ProtobufWriter>> _initializers = [];
    private readonly List<Action<ProtobufWriter>> _functions = [];
    private readonly List<(string Domain, long Version)> _opsets = [("", 17)];
    private readonly List<(string Key, string Value)> _metadata = [];
    private string _producer = "rampart-testkit";

    public OnnxBuilder Producer(string name)
    {
        _producer = name;
        return this;
    }

    public OnnxBuilder Opset(string domain, long version)
    {
        _opsets.Add((domain, version));
        return this;
    }

    public OnnxBuilder Metadata(string key, string value)
    {
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>A node; <paramref name="attributes"/> may add AttributeProto fields (field 5).</summary>
    public OnnxBuilder Node(string opType, string name, string[] inputs, string[] outputs, string domain = "", Action<ProtobufWriter>? attributes = null)
    {
        _nodes.Add(w => w.Message(1, n => WriteNode(n, opType, name, inputs, outputs, domain, attributes)));
        return this;
    }

    /// <summary>A float initializer with raw_data of <paramref name="rawBytes"/> bytes (default: exactly what dims need).</summary>
    public OnnxBuilder Initializer(string name, long[] dims, int dataType = 1, int? rawBytes = null)
    {
        var count = dims.Aggregate(1L, (a, b) => a * b);
        var size = rawBytes ?? (int)(count * 4);
        _initializers.Add(w => w.Message(5, t => Tensor(t, name, dims, dataType).Bytes(9, new byte[size])));
        return this;
    }

    /// <summary>A float initializer whose data lives in another file (data_location = EXTERNAL).</summary>
    public OnnxBuilder ExternalInitializer(string name, long[] dims, string location, long? offset = null, long? length = null)
    {
        _initializers.Add(w => w.Message(5, t =>
        {
            Tensor(t, name, dims, 1);
            t.Message(13, e => e.Text(1, "location").Text(2, location));
            if (offset is { } o)
            {
                t.Message(13, e => e.Text(1, "offset").Text(2, o.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            if (length is { } l)
            {
                t.Message(13, e => e.Text(1, "length").Text(2, l.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            t.Number(14, 1);
        }));
        return this;
    }

    /// <summary>A model-local function holding one node of <paramref name="innerOp"/>.</summary>
    public OnnxBuilder Function(string domain, string name, string innerOp = "Relu")
    {
        _functions.Add(w => w.Message(25, f => f
            .Text(1, name)
            .Text(4, "x")
            .Text(5, "y")
            .Message(7, n => WriteNode(n, innerOp, "inner", ["x"], ["y"], "", null))
            .Message(9, o => o.Text(1, "").Number(2, 17))
            .Text(10, domain)));
        return this;
    }

    public byte[] Build()
    {
        var model = new ProtobufWriter()
            .Number(1, 8)
            .Text(2, _producer)
            .Text(3, "1.0");
        model.Message(7, g =>
        {
            foreach (var node in _nodes)
            {
                node(g);
            }

            g.Text(2, "main");
            foreach (var init in _initializers)
            {
                init(g);
            }

            g.Message(11, v => v.Text(1, "x"));
            g.Message(12, v => v.Text(1, "y"));
        });
        foreach (var (domain, version) in _opsets)
        {
            model.Message(8, o => o.Text(1, domain).Number(2, version));
        }

        foreach (var (key, value) in _metadata)
        {
            model.Message(14, e => e.Text(1, key).Text(2, value));
        }

        foreach (var function in _functions)
        {
            function(model);
        }

        return model.ToArray();
    }

    /// <summary>The dims, data type and name of a TensorProto.</summary>
    public static ProtobufWriter Tensor(ProtobufWriter t, string name, long[] dims, int dataType)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length > 0)
        {
            t.Packed(1, dims);
        }

        return t.Number(2, dataType).Text(8, name);
    }

    private static void WriteNode(ProtobufWriter n, string opType, string name, string[] inputs, string[] outputs, string domain, Action<ProtobufWriter>? attributes)
    {
        foreach (var i in inputs)
        {
            n.Text(1, i);
        }

        foreach (var o in outputs)
        {
            n.Text(2, o);
        }

        n.Text(3, name).Text(4, opType);
        attributes?.Invoke(n);
        if (domain.Length > 0)
        {
            n.Text(7, domain);
        }
    }
}
