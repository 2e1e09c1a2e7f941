using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Numpy;

/// <summary>The parsed header of an .npy file: format version, dtype, memory order and shape.</summary>
internal sealed record NpyHeader(int Major, int Minor, long DataOffset, string Descr, bool FortranOrder, IReadOnlyList<long> Shape, bool HasObjects, long ItemSize)
{
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Elements times item size, or null when it overflows.</summary>
    public long? DataLength
    {
        get
        {
            try
            {
                return checked(Shape.Aggregate(1L, (a, b) => a * b) * ItemSize);
            }
            catch (OverflowException)
            {
                return null;
            }
        }
    }

    /// <summary>Parses the header from the first bytes of the file. Throws <see cref="MalformedContentException"/>.</summary>
    public static NpyHeader Parse(ReadOnlySpan<byte> head, int maxHeaderBytes)
    {
        if (head.Length < 10 || !head.StartsWith(Magic))
        {
            throw new MalformedContentException("not an .npy file (magic missing)", 0);
        }

        int major = head[6];
        int minor = head[7];
        long length;
        int prefix;
        switch (major)
        {
            case 1:
                length = BinaryPrimitives.ReadUInt16LittleEndian(head[8..]);
                prefix = 10;
                break;
            case 2 or 3:
                if (head.Length < 12)
                {
                    throw new MalformedContentException("the .npy header is truncated", 8);
                }

                length = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                prefix = 12;
                break;
            default:
                throw new MalformedContentException($"unknown .npy format version {major}.{minor}", 6);
        }

        if (length > maxHeaderBytes)
        {
            throw new LimitExceededException("max-header-bytes", $"the .npy header declares {length:N0} bytes");
        }

        if (prefix + length > head.Length)
        {
            throw new MalformedContentException($"the .npy header declares {length:N0} bytes but the file is shorter (or the header is beyond the first {head.Length:N0} bytes)", 8);
        }

        var raw = head.Slice(prefix, (int)length);
        string text;
        try
        {
            text = major == 3 ? new UTF8Encoding(false, true).GetString(raw) : Latin1Ascii(raw);
        }
        catch (DecoderFallbackException)
        {
            throw new MalformedContentException("the .npy header is not valid UTF-8", prefix);
        }

        if (PyLiteral.Parse(text) is not PyDict dict)
        {
            throw new MalformedContentException("the .npy header is not a dict", prefix);
        }

        if (dict.Count != 3 || !dict.TryGetValue("descr", out var descr) || !dict.TryGetValue("fortran_order", out var order) || !dict.TryGetValue("shape", out var shape))
        {
            throw new MalformedContentException($"the .npy header must have exactly the keys descr, fortran_order and shape, not {string.Join(", ", dict.Keys)}", prefix);
        }

        if (order is not bool fortran)
        {
            throw new MalformedContentException("fortran_order in the .npy header is not a bool", prefix);
        }

        if (shape is not PyTuple shapeItems || shapeItems.Any(d => d is not long n || n < 0))
        {
            throw new MalformedContentException("shape in the .npy header is not a tuple of non-negative integers", prefix);
        }

        var (itemSize, hasObjects) = Measure(descr, 0);
        return new NpyHeader(major, minor, prefix + length, Describe(descr), fortran, [.. shapeItems.Cast<long>()], hasObjects, itemSize);
    }

    private static string Latin1Ascii(ReadOnlySpan<byte> raw) => Encoding.Latin1.GetString(raw);

    /// <summary>Item size in bytes and whether the dtype holds Python objects (then the data is a pickle).</summary>
    private static (long Size, bool Objects) Measure(object? descr, int depth)
    {
        if (depth > 16)
        {
            throw new MalformedContentException("the .npy dtype is nested too deeply");
        }

        switch (descr)
        {
            case string simple:
                return MeasureSimple(simple);
            case PyList fields:
                long size = 0;
                var objects = false;
                foreach (var field in fields)
                {
                    if (field is not PyTuple { Count: 2 or 3 } tuple || tuple[0] is not (string or PyTuple))
                    {
                        throw new MalformedContentException("a structured .npy dtype field is not (name, dtype[, shape])");
                    }

                    var (fieldSize, fieldObjects) = Measure(tuple[1], depth + 1);
                    var count = 1L;
                    if (tuple.Count == 3)
                    {
                        var shape = tuple[2] switch
                        {
                            long n => [n],
                            PyTuple t when t.All(x => x is long) => t.Cast<long>().ToList(),
                            _ => throw new MalformedContentException("a structured .npy dtype field has a bad shape"),
                        };
                        count = shape.Aggregate(1L, (a, b) => b < 0 ? throw new MalformedContentException("negative field shape") : checked(a * b));
                    }

                    size = checked(size + (fieldSize * count));
                    objects |= fieldObjects;
                }

                return (size, objects);
            default:
                throw new MalformedContentException("the .npy descr is neither a type string nor a list of fields");
        }
    }

    private static (long Size, bool Objects) MeasureSimple(string descr)
    {
        var match = Regex.Match(descr, @"^[<>|=]?([a-zA-Z?])(\d*)(\[[A-Za-z0-9]+\])?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!match.Success)
        {
            throw new MalformedContentException($"unsupported .npy dtype '{descr}'");
        }

        var kind = match.Groups[1].Value[0];
        long? n = match.Groups[2].Value.Length is > 0 and <= 9 ? long.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        return kind switch
        {
            'O' => (8, true),
            '?' => (1, false),
            'b' when n is null => (1, false),
            'b' or 'i' or 'u' or 'f' or 'c' or 'S' or 'a' or 'V' or 'M' or 'm' when n is { } size => (size, false),
            'U' when n is { } chars => (chars * 4, false),
            _ => throw new MalformedContentException($"unsupported .npy dtype '{descr}'"),
        };
    }

    private static string Describe(object? descr) => descr switch
    {
        string s => s,
        PyList list => "[" + string.Join(", ", list.Select(f => f is PyTuple t ? $"({Describe(t[0])}, {Describe(t[1])})" : "?")) + "]",
        PyTuple t => "(" + string.Join(", ", t.Select(Describe)) + ")",
        _ => "?",
    };
}
