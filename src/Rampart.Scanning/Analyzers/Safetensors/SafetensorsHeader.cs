using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Rampart.Scanning.Analyzers.Safetensors;

/// <summary>One tensor entry of a safetensors header: byte range relative to the end of the header.</summary>
internal sealed record SafetensorsTensor(string Name, string Dtype, IReadOnlyList<long> Shape, long Begin, long End, long Elements);

/// <summary>The parsed, validated header of a safetensors file.</summary>
internal sealed record SafetensorsHeader(
    long HeaderLength,
    IReadOnlyList<SafetensorsTensor> Tensors,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    IReadOnlyList<string> DuplicateKeys,
    int NonSpacePadding)
{
    /// <summary>The reference implementation refuses headers larger than this (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Deepest JSON nesting accepted (a valid header nests three levels).</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>Most dimensions of one tensor.</summary>
    public const int MaxRank = 64;

    /// <summary>Where tensor data starts: 8 + header length.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Bits per element of every dtype the reference implementation knows.</summary>
    public static readonly IReadOnlyDictionary<string, int> DtypeBits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8,
        ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16,
        ["I32"] = 32, ["U32"] = 32, ["F32"] = 32,
        ["I64"] = 64, ["U64"] = 64, ["F64"] = 64, ["C64"] = 64,
        ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6,
    };

    /// <summary>Reads the 8-byte little-endian header length.</summary>
    public static ulong ReadLength(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt64LittleEndian(bytes);

    /// <summary>
    /// Parses and validates <paramref name="json"/> (the header bytes after the length field). Throws
    /// <see cref="IO.MalformedContentException"/> with the reason for anything the reference loader would refuse.
    /// </summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, CancellationToken cancellationToken)
    {
        var length = json.Length;
        var end = length;
        while (end > 0 && IsJsonWhitespace(json[end - 1]))
        {
            end--;
        }

        var nonSpace = 0;
        for (var i = end; i < length; i++)
        {
            if (json[i] != (byte)' ')
            {
                nonSpace++;
            }
        }

        if (end == 0 || json[0] != (byte)'{')
        {
            throw Malformed("the header does not start with a JSON object", 8);
        }

        var body = json[..end];
        if (!Utf8Validate(body))
        {
            throw Malformed("the header is not valid UTF-8", 8);
        }

        var duplicates = FindDuplicateKeys(body, cancellationToken);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw Malformed($"the header is not well-formed JSON: {e.Message}", 8);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("the header is not a JSON object", 8);
            }

            var tensors = new List<SafetensorsTensor>();
            var metadata = new List<KeyValuePair<string, string>>();
            foreach (var property in root.EnumerateObject())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (property.NameEquals("__metadata__"))
                {
                    ReadMetadata(property.Value, metadata);
                    continue;
                }

                tensors.Add(ReadTensor(property.Name, property.Value));
            }

            return new SafetensorsHeader(length, tensors, metadata, duplicates, nonSpace);
        }
    }

    private static void ReadMetadata(JsonElement value, List<KeyValuePair<string, string>> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("__metadata__ is not an object of strings", 8);
        }

        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Malformed($"__metadata__ entry '{Shorten(entry.Name)}' is a {entry.Value.ValueKind}, not a string", 8);
            }

            metadata.Add(new(entry.Name, entry.Value.GetString()!));
        }
    }

    private static SafetensorsTensor ReadTensor(string name, JsonElement value)
    {
        var shown = Shorten(name);
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"tensor '{shown}' is not an object", 8);
        }

        string? dtype = null;
        JsonElement? shape = null;
        JsonElement? offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    dtype = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : throw Malformed($"tensor '{shown}': dtype is not a string", 8);
                    break;
                case "shape":
                    shape = field.Value;
                    break;
                case "data_offsets":
                    offsets = field.Value;
                    break;
                default:
                    throw Malformed($"tensor '{shown}': unknown field '{Shorten(field.Name)}'", 8);
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            throw Malformed($"tensor '{shown}' lacks dtype, shape or data_offsets", 8);
        }

        if (!DtypeBits.TryGetValue(dtype, out var bits))
        {
            throw Malformed($"tensor '{shown}' has unknown dtype '{Shorten(dtype)}'", 8);
        }

        if (shape.Value.ValueKind != JsonValueKind.Array || shape.Value.GetArrayLength() > MaxRank)
        {
            throw Malformed($"tensor '{shown}': shape is not an array of at most {MaxRank} dimensions", 8);
        }

        var dims = new List<long>();
        ulong elements = 1;
        var overflow = false;
        foreach (var d in shape.Value.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetUInt64(out var dim) || dim > long.MaxValue)
            {
                throw Malformed($"tensor '{shown}': shape holds something other than a non-negative integer", 8);
            }

            dims.Add((long)dim);
            if (dim != 0 && elements > ulong.MaxValue / dim)
            {
                overflow = true;
            }

            elements = overflow ? 0 : elements * dim;
        }

        if (dims.Contains(0))
        {
            elements = 0;
            overflow = false;
        }

        if (overflow || elements > long.MaxValue / 8)
        {
            throw Malformed($"tensor '{shown}': the shape's element count overflows", 8);
        }

        if (offsets.Value.ValueKind != JsonValueKind.Array || offsets.Value.GetArrayLength() != 2)
        {
            throw Malformed($"tensor '{shown}': data_offsets is not a pair", 8);
        }

        var begin = Offset(offsets.Value[0], shown);
        var endOffset = Offset(offsets.Value[1], shown);
        if (endOffset < begin)
        {
            throw Malformed($"tensor '{shown}': data_offsets end {endOffset} is before begin {begin}", 8);
        }

        var totalBits = (ulong)elements * (ulong)bits;
        if (totalBits % 8 != 0)
        {
            throw Malformed($"tensor '{shown}': {elements} elements of {dtype} do not fill whole bytes", 8);
        }

        var bytes = (long)(totalBits / 8);
        if (bytes != endOffset - begin)
        {
            throw Malformed($"tensor '{shown}': shape and dtype {dtype} need {bytes} bytes but data_offsets span {endOffset - begin}", 8);
        }

        return new SafetensorsTensor(name, dtype, dims, begin, endOffset, (long)elements);
    }

    private static long Offset(JsonElement element, string shown) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out var v) && v <= long.MaxValue
            ? (long)v
            : throw Malformed($"tensor '{shown}': data_offsets holds something other than a non-negative integer", 8);

    /// <summary>Walks the JSON once with a reader and lists keys that appear twice in the same object, at any depth.</summary>
    private static List<string> FindDuplicateKeys(ReadOnlySpan<byte> json, CancellationToken cancellationToken)
    {
        var duplicates = new List<string>();
        var stack = new Stack<HashSet<string>?>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        cancellationToken.ThrowIfCancellationRequested();
                        stack.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.StartArray:
                        stack.Push(null);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        var key = reader.GetString()!;
                        if (stack.Peek() is { } keys && !keys.Add(key) && duplicates.Count < 100)
                        {
                            duplicates.Add(key);
                        }

                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Malformed($"the header is not well-formed JSON: {e.Message}", 8 + reader.TokenStartIndex);
        }

        return duplicates;
    }

    private static bool Utf8Validate(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static IO.MalformedContentException Malformed(string message, long offset) => new(message, offset);
}
