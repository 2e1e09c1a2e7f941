// The value-type names are the GGUF specification's own (gguf_type), which CA1720 would rename.
#pragma warning disable CA1720
using System.Buffers.Binary;
using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Builds GGUF files of any version (1–3) and byte order: metadata of every value type (nested arrays included),
/// tensor infos, alignment padding and optional tensor data, the way llama.cpp's gguf writer lays them out.
/// </summary>
public sealed class GgufBuilder
{
    /// <summary>GGUF metadata value types.</summary>
    public enum ValueType : uint
    {
        UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
        UInt64 = 10, Int64 = 11, Float64 = 12,
    }

    /// <summary>A typed metadata array (elements are values of <paramref name="ElementType"/>, or nested arrays).</summary>
    public sealed record TypedArray(ValueType ElementType, IReadOnlyList<object> Items);

    private readonly List<(string Key, ValueType Type, object Value)> _metadata = [];
    private readonly List<(string Name, ulong[] Dims, uint Type, ulong? Offset, long Size)> _tensors = [];
    private uint _version = 3;
    private bool _bigEndian;
    private uint _alignment = 32;
    private bool _withData = true;
    private byte[] _trailing = [];

    public GgufBuilder Version(uint version)
    {
        _version = version;
        return this;
    }

    public GgufBuilder BigEndian(bool bigEndian = true)
    {
        _bigEndian = bigEndian;
        return this;
    }

    /// <summary>Adds a metadata entry. Use <see cref="TypedArray"/> for arrays.</summary>
    public GgufBuilder Meta(string key, ValueType type, object value)
    {
        _metadata.Add((key, type, value));
        if (key == "general.alignment" && value is uint a)
        {
            _alignment = a;
        }

        return this;
    }

    public GgufBuilder String(string key, string value) => Meta(key, ValueType.String, value);

    public GgufBuilder UInt32(string key, uint value) => Meta(key, ValueType.UInt32, value);

    /// <summary>The usual general.* keys of a llama model.</summary>
    public GgufBuilder Llama(string name = "Tiny Llama", uint fileType = 15) =>
        String("general.architecture", "llama").String("general.name", name).UInt32("general.file_type", fileType)
            .UInt32("llama.context_length", 4096).UInt32("general.quantization_version", 2);

    public GgufBuilder ChatTemplate(string template, string? name = null) =>
        String(name is null ? "tokenizer.chat_template" : "tokenizer.chat_template." + name, template);

    /// <summary>Adds a tensor of ggml type <paramref name="type"/> (0 = F32, 1 = F16, 12 = Q4_K ...) of <paramref name="size"/> bytes.</summary>
    public GgufBuilder Tensor(string name, ulong[] dims, uint type, long size, ulong? offset = null)
    {
        _tensors.Add((name, dims, type, offset, size));
        return this;
    }

    /// <summary>An F32 tensor of the given dimensions.</summary>
    public GgufBuilder F32(string name, params ulong[] dims) => Tensor(name, dims, 0, (long)dims.Aggregate(1UL, (a, d) => a * d) * 4);

    /// <summary>Writes the header only; tensor data is left to the caller (sparse files).</summary>
    public GgufBuilder HeaderOnly()
    {
        _withData = false;
        return this;
    }

    public GgufBuilder Trailing(byte[] bytes)
    {
        _trailing = bytes;
        return this;
    }

    public byte[] Build()
    {
        using var output = new MemoryStream();
        output.Write("GGUF"u8);
        U32(output, _version);
        Count(output, (ulong)_tensors.Count);
        Count(output, (ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            Str(output, key);
            U32(output, (uint)type);
            Value(output, type, value);
        }

        ulong cursor = 0;
        var layout = new List<(ulong Offset, long Size)>();
        foreach (var (name, dims, type, offset, size) in _tensors)
        {
            var at = offset ?? cursor;
            Str(output, name);
            U32(output, (uint)dims.Length);
            foreach (var d in dims)
            {
                if (_version == 1)
                {
                    U32(output, (uint)d);
                }
                else
                {
                    U64(output, d);
                }
            }

            U32(output, type);
            U64(output, at);
            layout.Add((at, size));
            cursor = Align(at + (ulong)size);
        }

        if (!_withData)
        {
            return output.ToArray();
        }

        while (output.Length % _alignment != 0)
        {
            output.WriteByte(0);
        }

        var dataStart = output.Length;
        foreach (var (offset, size) in layout)
        {
            output.Position = dataStart + (long)offset;
            for (var i = 0L; i < size; i++)
            {
                output.WriteByte((byte)(i * 13 + 5));
            }
        }

        output.Position = output.Length;
        var end = dataStart + (long)Align((ulong)(output.Length - dataStart));
        while (output.Length < end)
        {
            output.WriteByte(0);
        }

        output.Write(_trailing);
        return output.ToArray();
    }

    private ulong Align(ulong value) => (value + _alignment - 1) / _alignment * _alignment;

    private void Value(Stream s, ValueType type, object value)
    {
        switch (type)
        {
            case ValueType.UInt8: s.WriteByte(Convert.ToByte(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case ValueType.Int8: s.WriteByte(unchecked((byte)Convert.ToSByte(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.Bool: s.WriteByte((bool)value ? (byte)1 : (byte)0); break;
            case ValueType.UInt16 or ValueType.Int16: U16(s, unchecked((ushort)Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.UInt32: U32(s, Convert.ToUInt32(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case ValueType.Int32: U32(s, unchecked((uint)Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.Float32: U32(s, (uint)BitConverter.SingleToInt32Bits(Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.UInt64: U64(s, Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case ValueType.Int64: U64(s, unchecked((ulong)Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.Float64: U64(s, (ulong)BitConverter.DoubleToInt64Bits(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture))); break;
            case ValueType.String: Str(s, (string)value); break;
            case ValueType.Array:
                var array = (TypedArray)value;
                U32(s, (uint)array.ElementType);
                Count(s, (ulong)array.Items.Count);
                foreach (var item in array.Items)
                {
                    Value(s, array.ElementType, item);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    private void Str(Stream s, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Count(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private void Count(Stream s, ulong value)
    {
        if (_version == 1)
        {
            U32(s, (uint)value);
        }
        else
        {
            U64(s, value);
        }
    }

    private void U16(Stream s, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (_bigEndian) { BinaryPrimitives.WriteUInt16BigEndian(b, v); } else { BinaryPrimitives.WriteUInt16LittleEndian(b, v); }
        s.Write(b);
    }

    private void U32(Stream s, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (_bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(b, v); } else { BinaryPrimitives.WriteUInt32LittleEndian(b, v); }
        s.Write(b);
    }

    private void U64(Stream s, ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        if (_bigEndian) { BinaryPrimitives.WriteUInt64BigEndian(b, v); } else { BinaryPrimitives.WriteUInt64LittleEndian(b, v); }
        s.Write(b);
    }
}
