using System.Buffers.Binary;
using System.Text;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Gguf;

/// <summary>Thrown when the bytes given to <see cref="GgufReader"/> end before the header does: read more and parse again.</summary>
internal sealed class GgufNeedMoreDataException(long needed) : MalformedContentException($"the GGUF header needs at least {needed} bytes")
{
    public long Needed { get; } = needed;
}

/// <summary>The parsed GGUF header: version, byte order, metadata, tensor infos and where the data section starts.</summary>
internal sealed record GgufHeader(
    uint Version,
    bool BigEndian,
    IReadOnlyList<GgufEntry> Metadata,
    IReadOnlyList<string> DuplicateKeys,
    IReadOnlyList<GgufTensor> Tensors,
    uint Alignment,
    long HeaderEnd,
    long DataStart)
{
    public GgufEntry? Get(string key) => Metadata.FirstOrDefault(e => e.Key == key);

    public string? GetString(string key) => Get(key)?.Value as string;
}

/// <summary>
/// A span-based reader of the GGUF header (v1–v3, little- or big-endian). Every count and length is checked against
/// the format limits and against the bytes that remain before anything is allocated; running out of bytes throws
/// <see cref="GgufNeedMoreDataException"/> so the caller can supply a longer prefix of the file.
/// </summary>
internal ref struct GgufReader
{
    /// <summary>Most tensor infos in one file.</summary>
    public const long MaxTensors = 1_000_000;

    /// <summary>Most metadata entries in one file.</summary>
    public const long MaxEntries = 1_000_000;

    /// <summary>Longest single string (key, value, array element).</summary>
    public const long MaxStringBytes = 16 * 1024 * 1024;

    /// <summary>Most elements of one metadata array.</summary>
    public const long MaxArrayLength = 100_000_000;

    /// <summary>Deepest nesting of arrays inside arrays.</summary>
    public const int MaxArrayDepth = 8;

    /// <summary>Most dimensions of one tensor (GGML_MAX_DIMS).</summary>
    public const int MaxDims = 4;

    /// <summary>String arrays at most this long keep their elements (chat template names); longer ones are only counted.</summary>
    public const int KeptArrayStrings = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private bool _bigEndian;
    private uint _version;

    public GgufReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    public static readonly byte[] Magic = "GGUF"u8.ToArray();

    /// <summary>Parses the header from a prefix of the file. Throws <see cref="GgufNeedMoreDataException"/> when the prefix is too short.</summary>
    public static GgufHeader Parse(ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        var reader = new GgufReader(data);
        return reader.ReadHeader(cancellationToken);
    }

    /// <summary>Reads the version, detecting the byte order from it (a big-endian file has its version byte-swapped).</summary>
    public static (uint Version, bool BigEndian) ReadVersion(ReadOnlySpan<byte> head)
    {
        var little = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        var big = BinaryPrimitives.ReadUInt32BigEndian(head[4..]);
        return little is >= 1 and <= 0xFFFF || big is 0 or > 0xFFFF ? (little, false) : (big, true);
    }

    private GgufHeader ReadHeader(CancellationToken cancellationToken)
    {
        Need(8);
        if (!_data[..4].SequenceEqual(Magic))
        {
            throw new MalformedContentException("not a GGUF file (magic)", 0);
        }

        (_version, _bigEndian) = ReadVersion(_data);
        _position = 8;
        if (_version is < 1 or > 3)
        {
            throw new MalformedContentException($"unsupported GGUF version {_version} (Rampart reads versions 1 to 3)", 4);
        }

        var tensorCount = ReadCount();
        var entryCount = ReadCount();
        if (tensorCount > MaxTensors)
        {
            throw new LimitExceededException("GgufMaxTensors", $"the header declares {tensorCount:N0} tensors (limit {MaxTensors:N0})");
        }

        if (entryCount > MaxEntries)
        {
            throw new LimitExceededException("GgufMaxEntries", $"the header declares {entryCount:N0} metadata entries (limit {MaxEntries:N0})");
        }

        var entries = new List<GgufEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new List<string>();
        for (ulong i = 0; i < entryCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var offset = _position;
            var key = ReadString();
            var type = ReadType();
            var value = ReadValue(type, 0, cancellationToken);
            if (!seen.Add(key) && duplicates.Count < 100)
            {
                duplicates.Add(key);
            }

            entries.Add(new GgufEntry(key, type, value, offset));
        }

        var tensors = new List<GgufTensor>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var infoOffset = _position;
            var name = ReadString();
            var dimCount = ReadU32();
            if (dimCount > MaxDims)
            {
                throw new MalformedContentException($"tensor '{Shorten(name)}' has {dimCount} dimensions (at most {MaxDims})", infoOffset);
            }

            var dims = new ulong[dimCount];
            for (var d = 0; d < dimCount; d++)
            {
                dims[d] = _version == 1 ? ReadU32() : ReadU64();
            }

            var type = ReadU32();
            var tensorOffset = ReadU64();
            tensors.Add(new GgufTensor(name, dims, type, tensorOffset, infoOffset));
        }

        uint alignment = 32;
        if (entries.LastOrDefault(e => e.Key == "general.alignment") is { } a)
        {
            if (a.Value is not long value || a.Type != GgufValueType.UInt32 || value == 0 || (value & (value - 1)) != 0)
            {
                throw new MalformedContentException($"general.alignment must be a power-of-two uint32, not {a.Type} {a.Value}", a.Offset);
            }

            alignment = (uint)value;
        }

        long headerEnd = _position;
        var dataStart = (headerEnd + alignment - 1) / alignment * alignment;
        return new GgufHeader(_version, _bigEndian, entries, duplicates, tensors, alignment, headerEnd, dataStart);
    }

    private object ReadValue(GgufValueType type, int depth, CancellationToken cancellationToken)
    {
        switch (type)
        {
            case GgufValueType.UInt8: Need(1); return (long)_data[_position++];
            case GgufValueType.Int8: Need(1); return (long)(sbyte)_data[_position++];
            case GgufValueType.UInt16: return (long)ReadU16();
            case GgufValueType.Int16: return (long)(short)ReadU16();
            case GgufValueType.UInt32: return (long)ReadU32();
            case GgufValueType.Int32: return (long)(int)ReadU32();
            case GgufValueType.Float32: return (double)BitConverter.Int32BitsToSingle((int)ReadU32());
            case GgufValueType.Bool:
                Need(1);
                var b = _data[_position];
                if (b > 1)
                {
                    throw new MalformedContentException($"a bool holds {b}", _position);
                }

                _position++;
                return b == 1;
            case GgufValueType.String: return ReadString();
            case GgufValueType.UInt64: return ReadU64();
            case GgufValueType.Int64: return (long)ReadU64();
            case GgufValueType.Float64: return BitConverter.Int64BitsToDouble((long)ReadU64());
            case GgufValueType.Array: return ReadArray(depth, cancellationToken);
            default: throw new MalformedContentException($"unknown metadata value type {(uint)type}", _position - 4);
        }
    }

    private GgufArray ReadArray(int depth, CancellationToken cancellationToken)
    {
        if (depth >= MaxArrayDepth)
        {
            throw new LimitExceededException("GgufMaxArrayDepth", $"metadata arrays nest deeper than {MaxArrayDepth}");
        }

        var elementType = ReadType();
        var count = ReadCount();
        if (count > MaxArrayLength)
        {
            throw new LimitExceededException("GgufMaxArrayLength", $"a metadata array declares {count:N0} elements (limit {MaxArrayLength:N0})");
        }

        var fixedSize = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.String or GgufValueType.Array => 0,
            _ => throw new MalformedContentException($"unknown array element type {(uint)elementType}", _position - 8),
        };
        if (fixedSize > 0)
        {
            // Fixed-size elements are skipped without being read one by one (bools are still checked).
            var bytes = count * (ulong)fixedSize;
            Need((long)bytes);
            if (elementType == GgufValueType.Bool && _data.Slice(_position, (int)bytes).IndexOfAnyExcept((byte)0, (byte)1) >= 0)
            {
                throw new MalformedContentException("a bool array holds a value other than 0 or 1", _position);
            }

            _position += (int)bytes;
            return new GgufArray(elementType, count, null);
        }

        // Variable-size elements take at least the bytes of their length field: refuse counts the rest cannot hold.
        Need((long)(count * (_version == 1 ? 4UL : 8UL)));

        List<string>? kept = elementType == GgufValueType.String && count <= KeptArrayStrings ? [] : null;
        for (ulong i = 0; i < count; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var value = ReadValue(elementType, depth + 1, cancellationToken);
            kept?.Add((string)value);
        }

        return new GgufArray(elementType, count, kept);
    }

    private GgufValueType ReadType() => (GgufValueType)ReadU32();

    private ulong ReadCount() => _version == 1 ? ReadU32() : ReadU64();

    private string ReadString()
    {
        var start = _position;
        var length = ReadCount();
        if (length > MaxStringBytes)
        {
            throw new LimitExceededException("GgufMaxStringBytes", $"a string at offset {start} declares {length:N0} bytes (limit {MaxStringBytes:N0})");
        }

        Need((long)length);
        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return Encoding.UTF8.GetString(bytes);
    }

    private ushort ReadU16()
    {
        Need(2);
        var s = _data.Slice(_position, 2);
        _position += 2;
        return _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    }

    private uint ReadU32()
    {
        Need(4);
        var s = _data.Slice(_position, 4);
        _position += 4;
        return _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
    }

    private ulong ReadU64()
    {
        Need(8);
        var s = _data.Slice(_position, 8);
        _position += 8;
        return _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);
    }

    private readonly void Need(long bytes)
    {
        if (bytes < 0 || _data.Length - _position < bytes)
        {
            throw new GgufNeedMoreDataException(_position + Math.Max(0, bytes));
        }
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
