using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Writes protobuf wire format for test fixtures (ONNX, TensorFlow): one message at a time, fields in the order
/// they are added. Nested messages are written by passing a callback that fills a child writer.
/// </summary>
public sealed class ProtobufWriter
{
    private readonly List<byte> _buffer = [];

    public ProtobufWriter Varint(int field, ulong value)
    {
        Key(field, 0);
        WriteVarint(value);
        return this;
    }

    public ProtobufWriter Number(int field, long value) => Varint(field, unchecked((ulong)value));

    public ProtobufWriter Fixed32(int field, uint value)
    {
        Key(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _buffer.AddRange(b);
        return this;
    }

    public ProtobufWriter Fixed64(int field, ulong value)
    {
        Key(field, 1);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _buffer.AddRange(b);
        return this;
    }

    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, 2);
        WriteVarint((ulong)value.Length);
        _buffer.AddRange(value);
        return this;
    }

    public ProtobufWriter Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Message(int field, Action<ProtobufWriter> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var child = new ProtobufWriter();
        fill(child);
        return Bytes(field, child.ToArray());
    }

    /// <summary>A packed repeated varint field.</summary>
    public ProtobufWriter Packed(int field, IEnumerable<long> values)
    {
        var child = new ProtobufWriter();
        foreach (var v in values)
        {
            child.WriteVarint(unchecked((ulong)v));
        }

        return Bytes(field, child.ToArray());
    }

    /// <summary>Raw bytes appended as they are (for malformed input).</summary>
    public ProtobufWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _buffer.AddRange(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();

    public void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.Add((byte)value);
    }

    private void Key(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);
}
