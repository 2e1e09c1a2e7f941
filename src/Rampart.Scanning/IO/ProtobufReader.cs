using System.Buffers.Binary;
using System.Text;

namespace Rampart.Scanning.IO;

/// <summary>The protobuf wire types (the low three bits of a field key).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// A bounded reader of the protobuf wire format over a span, for untrusted bytes (ONNX, TensorFlow). Every length
/// is checked against the bytes that remain before anything is sliced; varints longer than ten bytes or wider than
/// 64 bits, field numbers outside 1..2^29-1, groups (obsolete, unused by the formats read here) and nesting deeper
/// than <see cref="MaxDepth"/> throw <see cref="MalformedContentException"/> with the absolute offset. Nothing is
/// allocated except by the string helpers.
/// </summary>
internal ref struct ProtobufReader
{
    /// <summary>Deepest nesting of messages (a graph inside a node attribute inside a graph ... counts each level).</summary>
    public const int MaxDepth = 100;

    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private int _position;
    private int _fieldStart;

    public ProtobufReader(ReadOnlySpan<byte> data, long baseOffset = 0, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new MalformedContentException($"protobuf messages nest deeper than {MaxDepth} levels", baseOffset);
        }

        _data = data;
        _baseOffset = baseOffset;
        Depth = depth;
    }

    /// <summary>How many messages enclose this one.</summary>
    public int Depth { get; }

    /// <summary>Absolute offset (in the outermost buffer) of the next byte to read.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Absolute offset of the key of the field last read by <see cref="TryReadTag"/>.</summary>
    public readonly long FieldOffset => _baseOffset + _fieldStart;

    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads the next field key; false at the end of the message.</summary>
    public bool TryReadTag(out int fieldNumber, out WireType wireType)
    {
        if (End)
        {
            fieldNumber = 0;
            wireType = default;
            return false;
        }

        _fieldStart = _position;
        var key = ReadVarint();
        var number = key >> 3;
        wireType = (WireType)(key & 7);
        if (number is 0 or > 0x1FFF_FFFF)
        {
            throw Malformed($"invalid protobuf field number {number}");
        }

        if (wireType is WireType.StartGroup or WireType.EndGroup)
        {
            throw Malformed($"protobuf group in field {number} (groups are not used by this format)");
        }

        if ((int)wireType > 5)
        {
            throw Malformed($"invalid protobuf wire type {(int)wireType} in field {number}");
        }

        fieldNumber = (int)number;
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Malformed("truncated protobuf varint");
            }

            var b = _data[_position++];
            if (shift == 63 && b > 1)
            {
                throw Malformed("protobuf varint wider than 64 bits");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw Malformed("protobuf varint longer than 10 bytes");
    }

    /// <summary>An int64/int32/enum field (two's complement in a varint).</summary>
    public long ReadInt64() => unchecked((long)ReadVarint());

    /// <summary>A sint32/sint64 field (zig-zag).</summary>
    public long ReadSInt64()
    {
        var v = ReadVarint();
        return unchecked((long)(v >> 1) ^ -(long)(v & 1));
    }

    public bool ReadBool() => ReadVarint() != 0;

    public uint ReadFixed32()
    {
        Need(4);
        var v = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return v;
    }

    public ulong ReadFixed64()
    {
        Need(8);
        var v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return v;
    }

    /// <summary>Reads the length prefix and returns the bytes of a length-delimited field.</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw Malformed($"protobuf field length {length} runs past the end of its message ({_data.Length - _position} bytes remain)");
        }

        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>Reads a length-delimited field as a nested message reader one level deeper.</summary>
    public ProtobufReader ReadMessage()
    {
        var bytes = ReadBytes();
        return new ProtobufReader(bytes, _baseOffset + _position - bytes.Length, Depth + 1);
    }

    /// <summary>A string field, decoded as UTF-8 (invalid sequences become U+FFFD) and cut to <paramref name="maxChars"/>.</summary>
    public string ReadString(int maxChars = 4096)
    {
        var bytes = ReadBytes();
        var text = Encoding.UTF8.GetString(bytes.Length > maxChars * 4 ? bytes[..(maxChars * 4)] : bytes);
        return text.Length > maxChars ? text[..maxChars] + "…" : text;
    }

    /// <summary>Skips the value of a field whose key was just read.</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Need(8);
                _position += 8;
                break;
            case WireType.LengthDelimited:
                ReadBytes();
                break;
            case WireType.Fixed32:
                Need(4);
                _position += 4;
                break;
            default:
                throw Malformed($"cannot skip protobuf wire type {(int)wireType}");
        }
    }

    /// <summary>
    /// Counts the elements of a packed (or single unpacked) repeated numeric field without materialising them:
    /// varints are walked, fixed widths divided. Returns the count.
    /// </summary>
    public long CountRepeated(WireType wireType, int fixedWidth)
    {
        switch (wireType)
        {
            case WireType.LengthDelimited:
                var packed = ReadBytes();
                if (fixedWidth > 0)
                {
                    if (packed.Length % fixedWidth != 0)
                    {
                        throw Malformed($"packed field of {packed.Length} bytes is not a multiple of {fixedWidth}");
                    }

                    return packed.Length / fixedWidth;
                }

                long count = 0;
                foreach (var b in packed)
                {
                    if (b < 0x80)
                    {
                        count++;
                    }
                }

                if (packed.Length > 0 && packed[^1] >= 0x80)
                {
                    throw Malformed("truncated varint in a packed field");
                }

                return count;
            default:
                Skip(wireType);
                return 1;
        }
    }

    /// <summary>Reads one or more int64 values of a repeated field (packed or not) into <paramref name="into"/>.</summary>
    public void ReadRepeatedInt64(WireType wireType, List<long> into, int max)
    {
        if (wireType == WireType.Varint)
        {
            var offset = Offset;
            Add(into, ReadInt64(), max, offset);
            return;
        }

        if (wireType != WireType.LengthDelimited)
        {
            throw Malformed($"repeated integer field with wire type {(int)wireType}");
        }

        var inner = ReadMessage();
        while (!inner.End)
        {
            var offset = inner.Offset;
            Add(into, inner.ReadInt64(), max, offset);
        }

        static void Add(List<long> list, long value, int limit, long offset)
        {
            if (list.Count >= limit)
            {
                throw new MalformedContentException($"more than {limit} values in a repeated field", offset);
            }

            list.Add(value);
        }
    }

    /// <summary>Throws unless the field has the expected wire type.</summary>
    public readonly void Expect(WireType actual, WireType expected, int fieldNumber)
    {
        if (actual != expected)
        {
            throw Malformed($"protobuf field {fieldNumber} has wire type {(int)actual}, expected {(int)expected}");
        }
    }

    private readonly void Need(int count)
    {
        if (_data.Length - _position < count)
        {
            throw Malformed("truncated protobuf fixed-width value");
        }
    }

    private readonly MalformedContentException Malformed(string message) => new(message, _baseOffset + _position);
}
