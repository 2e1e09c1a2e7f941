using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Onnx;

/// <summary>
/// Reading a model too large to hold in memory: the ModelProto, and its graph when that is large, are walked field by
/// field from the stream; every field except a large initializer is read into memory on its own (at most
/// <c>maxMessage</c> bytes) and parsed by the in-memory code; large initializers are walked too, with raw_data and
/// typed data skipped and only counted. The results are the same as <see cref="Parse"/> on the whole file.
/// </summary>
internal sealed partial class OnnxModel
{
    public static OnnxModel ParseStream(Stream stream, long length, long blockThreshold, long maxMessage, CancellationToken cancellationToken)
    {
        var model = new OnnxModel();
        var ps = new ProtobufStream(stream, length);
        while (ps.TryReadTag(length, out var field, out var wire, out var start))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (field == 7 && wire == WireType.LengthDelimited)
            {
                var len = ps.ReadLength(length);
                if (len > blockThreshold)
                {
                    model.HasGraph = true;
                    model.ParseGraphStream(ps, ps.Position + len, "graph", blockThreshold, maxMessage, cancellationToken);
                    continue;
                }

                model.ParseModelFields(ps.FieldBlock(start, field, wire, len, maxMessage));
                continue;
            }

            model.ParseModelFields(ps.ReadField(start, field, wire, length, maxMessage));
        }

        return model;
    }

    private void ParseGraphStream(ProtobufStream ps, long end, string scope, long blockThreshold, long maxMessage, CancellationToken cancellationToken)
    {
        while (ps.TryReadTag(end, out var field, out var wire, out var start))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (field == 5 && wire == WireType.LengthDelimited)
            {
                var len = ps.ReadLength(end);
                if (len > blockThreshold)
                {
                    Count();
                    var tensor = new OnnxTensor($"{scope} initializer", start) { IsParameter = true };
                    ParseTensorStream(ps, ps.Position + len, tensor, maxMessage);
                    Tensors.Add(tensor);
                    continue;
                }

                ParseGraph(ps.FieldBlock(start, field, wire, len, maxMessage), scope);
                continue;
            }

            ParseGraph(ps.ReadField(start, field, wire, end, maxMessage), scope);
        }
    }

    private static void ParseTensorStream(ProtobufStream ps, long end, OnnxTensor tensor, long maxMessage)
    {
        while (ps.TryReadTag(end, out var field, out var wire, out var start))
        {
            if (wire == WireType.LengthDelimited && field is 9 or 4 or 5 or 7 or 10 or 11)
            {
                var len = ps.ReadLength(end);
                switch (field)
                {
                    case 9:
                        tensor.RawLength = len;
                        ps.Skip(len);
                        break;
                    case 4 or 10:
                        var width = field == 4 ? 4 : 8;
                        if (len % width != 0)
                        {
                            throw new MalformedContentException($"packed field of {len} bytes is not a multiple of {width}", start);
                        }

                        tensor.TypedCount += len / width;
                        ps.Skip(len);
                        break;
                    default:
                        tensor.TypedCount += ps.CountVarints(len);
                        break;
                }

                continue;
            }

            ParseTensorFields(ps.ReadField(start, field, wire, end, maxMessage), tensor);
        }
    }
}

/// <summary>
/// The protobuf wire format read forward from a stream (for messages too large for memory): keys, lengths and
/// skips with bounds checks, and whole fields copied out into small buffers for <see cref="ProtobufReader"/>.
/// </summary>
internal sealed class ProtobufStream(Stream stream, long length)
{
    private readonly byte[] _scratch = new byte[81920];

    public long Position { get; private set; }

    public bool TryReadTag(long end, out int field, out WireType wire, out long start)
    {
        start = Position;
        field = 0;
        wire = default;
        if (Position >= end)
        {
            return false;
        }

        var key = ReadVarint();
        var number = key >> 3;
        wire = (WireType)(key & 7);
        if (number is 0 or > 0x1FFF_FFFF || wire is WireType.StartGroup or WireType.EndGroup || (int)wire > 5)
        {
            throw new MalformedContentException($"invalid protobuf key {key}", start);
        }

        field = (int)number;
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1)
            {
                throw new MalformedContentException("protobuf varint wider than 64 bits", Position);
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new MalformedContentException("protobuf varint longer than 10 bytes", Position);
    }

    public long ReadLength(long end)
    {
        var len = ReadVarint();
        if (len > (ulong)(end - Position))
        {
            throw new MalformedContentException($"protobuf field length {len} runs past the end of its message", Position);
        }

        return (long)len;
    }

    public void Skip(long count)
    {
        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            Position += count;
            return;
        }

        while (count > 0)
        {
            var n = stream.Read(_scratch, 0, (int)Math.Min(count, _scratch.Length));
            if (n == 0)
            {
                throw new MalformedContentException("the model ends in the middle of a field", Position);
            }

            count -= n;
            Position += n;
        }
    }

    /// <summary>Counts the varints in the next <paramref name="count"/> bytes (a packed repeated field).</summary>
    public long CountVarints(long count)
    {
        long values = 0;
        byte last = 0;
        while (count > 0)
        {
            var n = stream.Read(_scratch, 0, (int)Math.Min(count, _scratch.Length));
            if (n == 0)
            {
                throw new MalformedContentException("the model ends in the middle of a field", Position);
            }

            for (var i = 0; i < n; i++)
            {
                values += _scratch[i] < 0x80 ? 1 : 0;
            }

            last = _scratch[n - 1];
            count -= n;
            Position += n;
        }

        if (last >= 0x80)
        {
            throw new MalformedContentException("truncated varint in a packed field", Position);
        }

        return values;
    }

    /// <summary>The value of the field whose key was just read, as a reader over one field (key included).</summary>
    public ProtobufReader ReadField(long start, int field, WireType wire, long end, long maxMessage)
    {
        switch (wire)
        {
            case WireType.LengthDelimited:
                return FieldBlock(start, field, wire, ReadLength(end), maxMessage);
            case WireType.Varint:
                return Block(start, field, wire, Varint(ReadVarint()));
            default:
                var width = wire == WireType.Fixed32 ? 4 : 8;
                if (end - Position < width)
                {
                    throw new MalformedContentException("truncated protobuf fixed-width value", Position);
                }

                var value = new byte[width];
                ReadExactly(value);
                Position += width;
                return Block(start, field, wire, value);
        }
    }

    /// <summary>A length-delimited field whose length was just read: its bytes, read into memory, as a one-field reader.</summary>
    public ProtobufReader FieldBlock(long start, int field, WireType wire, long len, long maxMessage)
    {
        if (len > maxMessage || len > Array.MaxLength - 32)
        {
            throw new LimitExceededException("max-in-memory-member-bytes", $"a protobuf field of {len:N0} bytes at offset {start:N0} is larger than the {maxMessage:N0} read into memory");
        }

        var prefix = Varint((ulong)len);
        var value = new byte[len];
        ReadExactly(value);
        Position += len;
        return Block(start, field, wire, [.. prefix, .. value]);
    }

    private static ProtobufReader Block(long start, int field, WireType wire, byte[] value)
    {
        byte[] block = [.. Varint(((ulong)field << 3) | (uint)wire), .. value];
        return new ProtobufReader(block, start);
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>(10);
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    private void ReadExactly(byte[] buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new MalformedContentException("the model ends in the middle of a field", Position);
        }
    }

    private byte ReadByte()
    {
        if (Position >= length)
        {
            throw new MalformedContentException("truncated protobuf varint", Position);
        }

        var b = stream.ReadByte();
        if (b < 0)
        {
            throw new MalformedContentException("the model ends in the middle of a field", Position);
        }

        Position++;
        return (byte)b;
    }
}
