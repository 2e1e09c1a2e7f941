using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Builds TFLite flatbuffers (schema.fbs field order) by hand: the root uoffset, the "TFL3" identifier, then the
/// Model table and everything it refers to, laid out front to back (every uoffset points forward, every vtable
/// sits just before its table). Enough of the schema for operator codes, one subgraph of operators and buffers.
/// </summary>
public sealed class TfLiteBuilder
{
    private readonly List<(int Builtin, string? Custom)> _codes = [];
    private readonly List<int> _operators = [];
    private readonly List<(int DataBytes, ulong Offset, ulong Size)> _buffers = [(0, 0, 0)];
    private string? _description = "rampart-testkit";
    private int _deprecatedBuiltinOverride = -1;

    /// <summary>A builtin operator code (e.g. 3 = CONV_2D, 9 = FULLY_CONNECTED).</summary>
    public TfLiteBuilder Builtin(int code)
    {
        _codes.Add((code, null));
        return this;
    }

    /// <summary>A custom operator code (BuiltinOperator.CUSTOM with custom_code).</summary>
    public TfLiteBuilder Custom(string name)
    {
        _codes.Add((32, name));
        return this;
    }

    /// <summary>An operator in subgraph 0 using operator code <paramref name="opcodeIndex"/>.</summary>
    public TfLiteBuilder Operator(int opcodeIndex)
    {
        _operators.Add(opcodeIndex);
        return this;
    }

    /// <summary>A buffer with inline data, or with offset/size pointing elsewhere in the file.</summary>
    public TfLiteBuilder Buffer(int dataBytes, ulong offset = 0, ulong size = 0)
    {
        _buffers.Add((dataBytes, offset, size));
        return this;
    }

    public TfLiteBuilder Description(string? text)
    {
        _description = text;
        return this;
    }

    /// <summary>Writes only deprecated_builtin_code (old converters) with this value for every builtin code.</summary>
    public TfLiteBuilder DeprecatedCodesOnly()
    {
        _deprecatedBuiltinOverride = 1;
        return this;
    }

    public byte[] Build()
    {
        var codes = _codes.Select(c => Table(
            (0, Scalar.Int8((sbyte)Math.Min(c.Builtin, 127))),
            (1, c.Custom is null ? null : Str(c.Custom)),
            (2, Scalar.Int32(1)),
            (3, _deprecatedBuiltinOverride > 0 ? null : Scalar.Int32(c.Builtin)))).ToList();
        var operators = _operators.Select(i => Table((0, Scalar.UInt32((uint)i)), (1, Ints([0])), (2, Ints([1])))).ToList();
        var subgraph = Table((0, Tables([])), (1, Ints([0])), (2, Ints([1])), (3, Tables(operators)), (4, Str("main")));
        var buffers = _buffers.Select(b => Table(
            (0, b.DataBytes > 0 ? new Node.Bytes(new byte[b.DataBytes]) : null),
            (1, b.Offset > 0 ? Scalar.UInt64(b.Offset) : null),
            (2, b.Size > 0 ? Scalar.UInt64(b.Size) : null))).ToList();
        var model = Table(
            (0, Scalar.UInt32(3)),
            (1, Tables(codes)),
            (2, Tables([subgraph])),
            (3, _description is null ? null : Str(_description)),
            (4, Tables(buffers)));

        var output = new List<byte>(new byte[8]);
        output[4] = (byte)'T';
        output[5] = (byte)'F';
        output[6] = (byte)'L';
        output[7] = (byte)'3';
        var root = Write(output, model);
        Patch(output, 0, root);
        return [.. output];
    }

    private static Node.Table Table(params (int Field, Node? Value)[] fields) => new([.. fields.Where(f => f.Value is not null).Select(f => (f.Field, f.Value!))]);

    private static Node.Text Str(string s) => new(s);

    private static Node.TableVector Tables(List<Node.Table> tables) => new(tables);

    private static Node.IntVector Ints(int[] values) => new(values);

    /// <summary>Writes <paramref name="node"/> at the end of <paramref name="output"/> (4-byte aligned) and returns its position.</summary>
    private static int Write(List<byte> output, Node node)
    {
        Align(output);
        switch (node)
        {
            case Node.Text text:
            {
                var bytes = Encoding.UTF8.GetBytes(text.Value);
                var at = output.Count;
                AddU32(output, (uint)bytes.Length);
                output.AddRange(bytes);
                output.Add(0);
                return at;
            }

            case Node.Bytes data:
            {
                var at = output.Count;
                AddU32(output, (uint)data.Value.Length);
                output.AddRange(data.Value);
                return at;
            }

            case Node.IntVector ints:
            {
                var at = output.Count;
                AddU32(output, (uint)ints.Values.Length);
                foreach (var v in ints.Values)
                {
                    AddU32(output, unchecked((uint)v));
                }

                return at;
            }

            case Node.TableVector tables:
            {
                var at = output.Count;
                AddU32(output, (uint)tables.Tables.Count);
                var slots = new List<int>();
                foreach (var _ in tables.Tables)
                {
                    slots.Add(output.Count);
                    AddU32(output, 0);
                }

                for (var i = 0; i < tables.Tables.Count; i++)
                {
                    Patch(output, slots[i], Write(output, tables.Tables[i]));
                }

                return at;
            }

            case Node.Table table:
                return WriteTable(output, table);
            default:
                throw new InvalidOperationException("unknown node");
        }
    }

    private static int WriteTable(List<byte> output, Node.Table table)
    {
        var maxField = table.Fields.Count == 0 ? -1 : table.Fields.Max(f => f.Field);
        var layout = new List<(int Field, Node Value, int Offset)>();
        var size = 4;
        foreach (var (field, value) in table.Fields.OrderBy(f => f.Field))
        {
            var width = value is Scalar s ? s.Width : 4;
            size += (width - (size % width)) % width;
            layout.Add((field, value, size));
            size += width;
        }

        var vsize = 4 + (2 * (maxField + 1));
        var vtable = output.Count;
        AddU16(output, (ushort)vsize);
        AddU16(output, (ushort)size);
        for (var f = 0; f <= maxField; f++)
        {
            var entry = layout.FirstOrDefault(l => l.Field == f);
            AddU16(output, entry.Value is null ? (ushort)0 : (ushort)entry.Offset);
        }

        Align(output);
        var at = output.Count;
        output.AddRange(new byte[size]);
        var soffset = at - vtable;
        BinaryPrimitives.WriteInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[at..], soffset);
        foreach (var (_, value, offset) in layout)
        {
            if (value is Scalar scalar)
            {
                scalar.Data.CopyTo(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[(at + offset)..]);
            }
        }

        foreach (var (_, value, offset) in layout)
        {
            if (value is not Scalar)
            {
                Patch(output, at + offset, Write(output, value));
            }
        }

        return at;
    }

    private static void Patch(List<byte> output, int slot, int target) =>
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output)[slot..], (uint)(target - slot));

    private static void Align(List<byte> output)
    {
        while (output.Count % 8 != 0)
        {
            output.Add(0);
        }
    }

    private static void AddU32(List<byte> output, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        output.AddRange(b);
    }

    private static void AddU16(List<byte> output, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        output.AddRange(b);
    }

    private abstract record Node
    {
        public sealed record Table(List<(int Field, Node Value)> Fields) : Node;

        public sealed record Text(string Value) : Node;

        public sealed record Bytes(byte[] Value) : Node;

        public sealed record IntVector(int[] Values) : Node;

        public sealed record TableVector(List<Table> Tables) : Node;
    }

    private sealed record Scalar(byte[] Data) : Node
    {
        public int Width => Data.Length;

        public static Scalar Int8(sbyte v) => new([unchecked((byte)v)]);

        public static Scalar Int32(int v)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            return new(b);
        }

        public static Scalar UInt32(uint v)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            return new(b);
        }

        public static Scalar UInt64(ulong v)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            return new(b);
        }
    }
}
