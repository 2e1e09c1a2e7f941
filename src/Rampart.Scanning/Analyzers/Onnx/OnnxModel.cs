using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Onnx;

/// <summary>One tensor found in the model (initializer, sparse part, or attribute value).</summary>
internal sealed record OnnxTensor(string Where, long Offset)
{
    public string Name { get; set; } = "";

    public List<long> Dims { get; } = [];

    public int DataType { get; set; }

    /// <summary>Length of raw_data, or -1 when absent.</summary>
    public long RawLength { get; set; } = -1;

    /// <summary>Elements held in the typed repeated fields (float_data, int32_data, ...).</summary>
    public long TypedCount { get; set; }

    public int DataLocation { get; set; }

    public List<KeyValuePair<string, string>> ExternalData { get; } = [];

    /// <summary>True for graph initializers (counted as parameters).</summary>
    public bool IsParameter { get; init; }

    public string? External(string key) => ExternalData.LastOrDefault(kv => kv.Key == key).Value;
}

/// <summary>A distinct (domain, op_type) used by nodes, with a count and the first node that used it.</summary>
internal sealed record OnnxOpUse(string Domain, string OpType, string FirstNode, string FirstScope, long FirstOffset)
{
    public long Count { get; set; }
}

/// <summary>A model-local function (ModelProto.functions).</summary>
internal sealed record OnnxFunction(string Domain, string Name, long Offset);

/// <summary>What Rampart reads from an ONNX ModelProto; no tensor data is kept.</summary>
internal sealed partial class OnnxModel
{
    /// <summary>Most nodes, tensors and functions read from one model before the scan stops.</summary>
    public const int MaxItems = 2_000_000;

    /// <summary>Most dimensions of one tensor.</summary>
    public const int MaxDims = 64;

    private int _items;

    public long IrVersion { get; private set; }

    public string ProducerName { get; private set; } = "";

    public string ProducerVersion { get; private set; } = "";

    public string Domain { get; private set; } = "";

    public long ModelVersion { get; private set; }

    public bool HasGraph { get; private set; }

    public Dictionary<string, long> Opsets { get; } = new(StringComparer.Ordinal);

    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    public Dictionary<(string Domain, string OpType), OnnxOpUse> Ops { get; } = [];

    public long Nodes { get; private set; }

    public List<OnnxTensor> Tensors { get; } = [];

    public List<OnnxFunction> Functions { get; } = [];

    public int TrainingInfos { get; private set; }

    public static OnnxModel Parse(ReadOnlySpan<byte> bytes)
    {
        var model = new OnnxModel();
        model.ParseModelFields(new ProtobufReader(bytes));
        return model;
    }

    /// <summary>Reads ModelProto fields (all of a message, or one field's bytes when streaming).</summary>
    private void ParseModelFields(ProtobufReader r)
    {
        var model = this;
        while (r.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1 when wire == WireType.Varint:
                    model.IrVersion = r.ReadInt64();
                    break;
                case 2 when wire == WireType.LengthDelimited:
                    model.ProducerName = r.ReadString(256);
                    break;
                case 3 when wire == WireType.LengthDelimited:
                    model.ProducerVersion = r.ReadString(256);
                    break;
                case 4 when wire == WireType.LengthDelimited:
                    model.Domain = r.ReadString(256);
                    break;
                case 5 when wire == WireType.Varint:
                    model.ModelVersion = r.ReadInt64();
                    break;
                case 7 when wire == WireType.LengthDelimited:
                    model.HasGraph = true;
                    model.ParseGraph(r.ReadMessage(), "graph");
                    break;
                case 8 when wire == WireType.LengthDelimited:
                    var (domain, version) = ParseOpset(r.ReadMessage());
                    model.Opsets[domain] = version;
                    break;
                case 14 when wire == WireType.LengthDelimited:
                    model.Metadata.Add(ParseEntry(r.ReadMessage()));
                    break;
                case 20 when wire == WireType.LengthDelimited:
                    model.TrainingInfos++;
                    model.ParseTrainingInfo(r.ReadMessage(), $"training_info[{model.TrainingInfos - 1}]");
                    break;
                case 25 when wire == WireType.LengthDelimited:
                    model.ParseFunction(r.ReadMessage());
                    break;
                case 1 or 2 or 3 or 4 or 5 or 7 or 8 or 14 or 20 or 25:
                    throw new MalformedContentException($"ModelProto field {field} has the wrong wire type {(int)wire}", r.FieldOffset);
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }

    private static (string Domain, long Version) ParseOpset(ProtobufReader r)
    {
        var domain = "";
        long version = 0;
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                domain = r.ReadString(256);
            }
            else if (field == 2 && wire == WireType.Varint)
            {
                version = r.ReadInt64();
            }
            else
            {
                r.Skip(wire);
            }
        }

        return (domain, version);
    }

    private static KeyValuePair<string, string> ParseEntry(ProtobufReader r)
    {
        string key = "", value = "";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                key = r.ReadString(1024);
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                value = r.ReadString(4096);
            }
            else
            {
                r.Skip(wire);
            }
        }

        return new(key, value);
    }

    private void Count()
    {
        if (++_items > MaxItems)
        {
            throw new LimitExceededException("onnx-items", $"the model has more than {MaxItems:N0} nodes, tensors and functions");
        }
    }

    private void ParseTrainingInfo(ProtobufReader r, string scope)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field is 1 or 2 && wire == WireType.LengthDelimited)
            {
                ParseGraph(r.ReadMessage(), $"{scope}.{(field == 1 ? "initialization" : "algorithm")}");
            }
            else
            {
                r.Skip(wire);
            }
        }
    }

    private void ParseGraph(ProtobufReader r, string scope)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            var offset = r.FieldOffset;
            switch (field)
            {
                case 1 when wire == WireType.LengthDelimited:
                    ParseNode(r.ReadMessage(), scope, offset);
                    break;
                case 5 when wire == WireType.LengthDelimited:
                    ParseTensor(r.ReadMessage(), $"{scope} initializer", offset, parameter: true);
                    break;
                case 15 when wire == WireType.LengthDelimited:
                    ParseSparse(r.ReadMessage(), $"{scope} sparse_initializer", offset, parameter: true);
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }

    private void ParseNode(ProtobufReader r, string scope, long offset)
    {
        Count();
        Nodes++;
        string name = "", opType = "", domain = "";
        var copy = r;
        while (r.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 3 when wire == WireType.LengthDelimited:
                    name = r.ReadString(512);
                    break;
                case 4 when wire == WireType.LengthDelimited:
                    opType = r.ReadString(256);
                    break;
                case 7 when wire == WireType.LengthDelimited:
                    domain = r.ReadString(256);
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }

        var key = (domain, opType);
        if (!Ops.TryGetValue(key, out var use))
        {
            use = new OnnxOpUse(domain, opType, name, scope, offset);
            Ops[key] = use;
        }

        use.Count++;

        // Second pass for attributes, now that the node's name is known for the scope of nested graphs.
        var nodeScope = $"{scope}/{(name.Length > 0 ? name : opType)}";
        while (copy.TryReadTag(out var field, out var wire))
        {
            if (field == 5 && wire == WireType.LengthDelimited)
            {
                ParseAttribute(copy.ReadMessage(), nodeScope);
            }
            else
            {
                copy.Skip(wire);
            }
        }
    }

    private void ParseAttribute(ProtobufReader r, string scope)
    {
        var copy = r;
        var name = "";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                name = r.ReadString(256);
            }
            else
            {
                r.Skip(wire);
            }
        }

        var where = $"{scope}.{name}";
        while (copy.TryReadTag(out var field, out var wire))
        {
            var offset = copy.FieldOffset;
            if (wire != WireType.LengthDelimited)
            {
                copy.Skip(wire);
                continue;
            }

            switch (field)
            {
                case 5 or 10:
                    ParseTensor(copy.ReadMessage(), $"{where} attribute", offset, parameter: false);
                    break;
                case 6 or 11:
                    ParseGraph(copy.ReadMessage(), where);
                    break;
                case 22 or 23:
                    ParseSparse(copy.ReadMessage(), $"{where} attribute", offset, parameter: false);
                    break;
                default:
                    copy.Skip(wire);
                    break;
            }
        }
    }

    private void ParseFunction(ProtobufReader r)
    {
        Count();
        var offset = r.Offset;
        var copy = r;
        string name = "", domain = "";
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited)
            {
                name = r.ReadString(256);
            }
            else if (field == 10 && wire == WireType.LengthDelimited)
            {
                domain = r.ReadString(256);
            }
            else
            {
                r.Skip(wire);
            }
        }

        Functions.Add(new OnnxFunction(domain, name, offset));
        var scope = $"function {(domain.Length > 0 ? domain + "." : "")}{name}";
        while (copy.TryReadTag(out var field, out var wire))
        {
            if (field == 7 && wire == WireType.LengthDelimited)
            {
                var at = copy.FieldOffset;
                ParseNode(copy.ReadMessage(), scope, at);
            }
            else
            {
                copy.Skip(wire);
            }
        }
    }

    private void ParseSparse(ProtobufReader r, string where, long offset, bool parameter)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            if (field is 1 or 2 && wire == WireType.LengthDelimited)
            {
                // Only the values count as parameters; indices are bookkeeping.
                ParseTensor(r.ReadMessage(), $"{where} {(field == 1 ? "values" : "indices")}", offset, parameter && field == 1);
            }
            else
            {
                r.Skip(wire);
            }
        }
    }

    private void ParseTensor(ProtobufReader r, string where, long offset, bool parameter)
    {
        Count();
        var tensor = new OnnxTensor(where, offset) { IsParameter = parameter };
        ParseTensorFields(r, tensor);
        Tensors.Add(tensor);
    }

    private static void ParseTensorFields(ProtobufReader r, OnnxTensor tensor)
    {
        while (r.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    r.ReadRepeatedInt64(wire, tensor.Dims, MaxDims);
                    break;
                case 2 when wire == WireType.Varint:
                    tensor.DataType = (int)Math.Clamp(r.ReadInt64(), int.MinValue, int.MaxValue);
                    break;
                case 6:
                    r.Skip(wire);
                    tensor.TypedCount++;
                    break;
                case 4 or 5 or 7 or 10 or 11:
                    tensor.TypedCount += r.CountRepeated(wire, field switch { 4 => 4, 10 => 8, _ => 0 });
                    break;
                case 8 when wire == WireType.LengthDelimited:
                    tensor.Name = r.ReadString(512);
                    break;
                case 9 when wire == WireType.LengthDelimited:
                    tensor.RawLength = r.ReadBytes().Length;
                    break;
                case 13 when wire == WireType.LengthDelimited:
                    tensor.ExternalData.Add(ParseEntry(r.ReadMessage()));
                    break;
                case 14 when wire == WireType.Varint:
                    tensor.DataLocation = (int)Math.Clamp(r.ReadInt64(), int.MinValue, int.MaxValue);
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }
    }
}
