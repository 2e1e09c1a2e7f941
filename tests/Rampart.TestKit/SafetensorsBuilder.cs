using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Builds safetensors files the way the reference writer lays them out (JSON header padded with spaces to a multiple
/// of 8, tensors packed from offset 0 in order), or with a raw header, gaps, trailing bytes and wrong offsets.
/// </summary>
public sealed class SafetensorsBuilder
{
    private static readonly Dictionary<string, int> Bits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8, ["I16"] = 16, ["U16"] = 16,
        ["F16"] = 16, ["BF16"] = 16, ["I32"] = 32, ["U32"] = 32, ["F32"] = 32, ["I64"] = 64, ["U64"] = 64, ["F64"] = 64,
        ["C64"] = 64, ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6,
    };

    private readonly List<(string Name, string Dtype, long[] Shape, long? Begin, long? End, byte[]? Data)> _tensors = [];
    private readonly List<(string Key, string Value)> _metadata = [];
    private string? _rawHeader;
    private byte[] _trailing = [];
    private byte _padding = (byte)' ';
    private ulong? _lengthOverride;
    private bool _omitData;

    /// <summary>Adds a tensor; its bytes follow the previous tensor unless <paramref name="begin"/>/<paramref name="end"/> say otherwise.</summary>
    public SafetensorsBuilder Tensor(string name, string dtype, long[] shape, long? begin = null, long? end = null, byte[]? data = null)
    {
        _tensors.Add((name, dtype, shape, begin, end, data));
        return this;
    }

    public SafetensorsBuilder Metadata(string key, string value)
    {
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>Uses this exact JSON as the header (padding still applied); tensor data comes from <see cref="Trailing"/>.</summary>
    public SafetensorsBuilder RawHeader(string json)
    {
        _rawHeader = json;
        return this;
    }

    /// <summary>Bytes appended after the data section.</summary>
    public SafetensorsBuilder Trailing(byte[] bytes)
    {
        _trailing = bytes;
        return this;
    }

    /// <summary>The byte used to pad the header to a multiple of 8 (the writer uses a space).</summary>
    public SafetensorsBuilder PadWith(byte padding)
    {
        _padding = padding;
        return this;
    }

    /// <summary>Writes this value as the header length instead of the real one.</summary>
    public SafetensorsBuilder HeaderLength(ulong length)
    {
        _lengthOverride = length;
        return this;
    }

    /// <summary>Writes only the length field and header: the data section is left for the caller (sparse files).</summary>
    public SafetensorsBuilder HeaderOnly()
    {
        _omitData = true;
        return this;
    }

    public static long ByteSize(string dtype, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Aggregate(1L, (a, d) => a * d) * Bits[dtype] / 8;
    }

    /// <summary>The total size of the data section the tensors claim.</summary>
    public long DataLength()
    {
        long cursor = 0;
        long max = 0;
        foreach (var t in _tensors)
        {
            var begin = t.Begin ?? cursor;
            var end = t.End ?? begin + ByteSize(t.Dtype, t.Shape);
            cursor = end;
            max = Math.Max(max, end);
        }

        return max;
    }

    public byte[] Build()
    {
        var header = new StringBuilder("{");
        var first = true;
        if (_metadata.Count > 0)
        {
            header.Append("\"__metadata__\":{");
            header.Append(string.Join(",", _metadata.Select(m => Json(m.Key) + ":" + Json(m.Value))));
            header.Append('}');
            first = false;
        }

        long cursor = 0;
        var layout = new List<(long Begin, long End, byte[]? Data)>();
        foreach (var t in _tensors)
        {
            var begin = t.Begin ?? cursor;
            var end = t.End ?? begin + ByteSize(t.Dtype, t.Shape);
            cursor = end;
            layout.Add((begin, end, t.Data));
            header.Append(first ? "" : ",");
            first = false;
            header.Append(CultureInfo.InvariantCulture, $"{Json(t.Name)}:{{\"dtype\":{Json(t.Dtype)},\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{begin},{end}]}}");
        }

        header.Append('}');
        var json = Encoding.UTF8.GetBytes(_rawHeader ?? header.ToString());
        var padded = (json.Length + 7) / 8 * 8;
        using var output = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, _lengthOverride ?? (ulong)padded);
        output.Write(length);
        output.Write(json);
        for (var i = json.Length; i < padded; i++)
        {
            output.WriteByte(_padding);
        }

        if (_omitData)
        {
            return output.ToArray();
        }

        var data = new byte[_rawHeader is null ? DataLength() : 0];
        foreach (var (begin, end, bytes) in layout)
        {
            if (bytes is not null && _rawHeader is null)
            {
                bytes.AsSpan(0, (int)Math.Min(bytes.Length, end - begin)).CopyTo(data.AsSpan((int)begin));
            }
            else if (_rawHeader is null)
            {
                for (var i = begin; i < end; i++)
                {
                    data[i] = (byte)(i * 7 + 1);
                }
            }
        }

        output.Write(data);
        output.Write(_trailing);
        return output.ToArray();
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
