using System.Globalization;
using System.Text;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// The text codecs of pickle's line-based opcodes, as CPython applies them: escape_decode (STRING),
/// raw-unicode-escape (UNICODE), int(text, 0) (INT, LONG, memo keys) and float() (FLOAT). Pure functions of their
/// bytes; they throw <see cref="PickleFormatException"/> where CPython raises.
/// </summary>
internal static class PickleCodecs
{
    private static readonly System.Buffers.SearchValues<char> FloatStart = System.Buffers.SearchValues.Create("eE.0123456789");

    /// <summary>Python's escape_decode (the STRING opcode), producing Latin-1 text.</summary>
    internal static string DecodeEscapes(ReadOnlySpan<byte> data, long offset)
    {
        var builder = new StringBuilder(data.Length);
        for (var i = 0; i < data.Length; i++)
        {
            var c = data[i];
            if (c != '\\' || i + 1 >= data.Length)
            {
                if (c == '\\')
                {
                    throw new PickleFormatException("trailing \\ in a STRING argument", offset);
                }

                builder.Append((char)c);
                continue;
            }

            var e = data[++i];
            switch (e)
            {
                case (byte)'\n':
                    break;
                case (byte)'\\':
                case (byte)'\'':
                case (byte)'"':
                    builder.Append((char)e);
                    break;
                case (byte)'a': builder.Append('\a'); break;
                case (byte)'b': builder.Append('\b'); break;
                case (byte)'f': builder.Append('\f'); break;
                case (byte)'n': builder.Append('\n'); break;
                case (byte)'r': builder.Append('\r'); break;
                case (byte)'t': builder.Append('\t'); break;
                case (byte)'v': builder.Append('\v'); break;
                case (byte)'x':
                    if (i + 2 >= data.Length || HexValue(data[i + 1]) < 0 || HexValue(data[i + 2]) < 0)
                    {
                        throw new PickleFormatException("invalid \\x escape in a STRING argument", offset);
                    }

                    builder.Append((char)((HexValue(data[i + 1]) << 4) | HexValue(data[i + 2])));
                    i += 2;
                    break;
                case >= (byte)'0' and <= (byte)'7':
                {
                    var value = e - '0';
                    for (var k = 0; k < 2 && i + 1 < data.Length && data[i + 1] is >= (byte)'0' and <= (byte)'7'; k++)
                    {
                        value = (value * 8) + (data[++i] - '0');
                    }

                    builder.Append((char)(value & 0xFF));
                    break;
                }

                default:
                    builder.Append('\\').Append((char)e);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Python's raw-unicode-escape codec (the UNICODE opcode): \uXXXX and \UXXXXXXXX, else Latin-1.</summary>
    internal static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> data, long offset)
    {
        var kept = data.Length > PickleArguments.KeptStringBytes ? data[..PickleArguments.KeptStringBytes] : data;
        var builder = new StringBuilder(kept.Length);
        for (var i = 0; i < kept.Length; i++)
        {
            var c = kept[i];
            var backslashes = 0;
            for (var j = i - 1; j >= 0 && kept[j] == '\\'; j--)
            {
                backslashes++;
            }

            if (c == '\\' && i + 1 < kept.Length && (kept[i + 1] == 'u' || kept[i + 1] == 'U') && backslashes % 2 == 0)
            {
                var digits = kept[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + digits > kept.Length)
                {
                    throw new PickleFormatException("truncated \\uXXXX escape in a UNICODE argument", offset);
                }

                var value = 0;
                for (var k = 0; k < digits; k++)
                {
                    var h = HexValue(kept[i + 2 + k]);
                    if (h < 0)
                    {
                        throw new PickleFormatException("truncated \\uXXXX escape in a UNICODE argument", offset);
                    }

                    value = (value << 4) | h;
                }

                if (value > 0x10FFFF)
                {
                    throw new PickleFormatException("\\Uxxxxxxxx out of range in a UNICODE argument", offset);
                }

                if (value is >= 0xD800 and <= 0xDFFF)
                {
                    builder.Append((char)value);
                }
                else
                {
                    builder.Append(char.ConvertFromUtf32(value));
                }

                i += 1 + digits;
                continue;
            }

            builder.Append((char)c);
        }

        return builder.ToString();
    }

    internal static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    internal static long ParseMemoKey(ReadOnlySpan<byte> line, long offset, string opcode)
    {
        var trimmed = Trim(line);
        if (!long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var key))
        {
            throw new PickleFormatException($"{opcode} argument is not an integer", offset);
        }

        if (key < 0 && opcode == "PUT")
        {
            throw new PickleFormatException("negative PUT argument", offset);
        }

        return key;
    }

    /// <summary>Python's int(text, 0) as INT and LONG use it (sign, 0x/0o/0b prefixes, underscores).</summary>
    internal static PInt ParseInt(ReadOnlySpan<byte> line, bool allowLongSuffix, long offset, string opcode)
    {
        var text = Trim(line);
        if (allowLongSuffix && text.Length > 0 && text[^1] == 'L')
        {
            text = text[..^1];
        }

        var negative = false;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        var radix = 10;
        if (text.Length > 2 && text[0] == '0' && (text[1] | 0x20) is 'x' or 'o' or 'b')
        {
            radix = (text[1] | 0x20) switch { 'x' => 16, 'o' => 8, _ => 2 };
            text = text[2..];
            if (text.Length > 0 && text[0] == '_')
            {
                text = text[1..];
            }
        }

        if (text.Length == 0 || text[0] == '_' || text[^1] == '_')
        {
            throw new PickleFormatException($"invalid literal for int() in the {opcode} argument", offset);
        }

        if (radix == 10 && text.Length > 1 && text[0] == '0' && text.IndexOfAnyExcept("0_"u8) >= 0)
        {
            throw new PickleFormatException($"invalid literal for int() in the {opcode} argument (leading zeros)", offset);
        }

        long value = 0;
        var overflow = false;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == '_')
            {
                if (text[i - 1] == '_')
                {
                    throw new PickleFormatException($"invalid literal for int() in the {opcode} argument", offset);
                }

                continue;
            }

            var digit = HexValue(b);
            if (digit < 0 || digit >= radix)
            {
                throw new PickleFormatException($"invalid literal for int() in the {opcode} argument", offset);
            }

            if (!overflow)
            {
                var next = (value * radix) + digit;
                if (value > (long.MaxValue - digit) / radix)
                {
                    overflow = true;
                }
                else
                {
                    value = next;
                }
            }
        }

        return overflow ? PInt.Big : PInt.Of(negative ? -value : value);
    }

    internal static bool IsPythonFloat(ReadOnlySpan<byte> line)
    {
        var text = Trim(line);
        if (text.Length == 0 || text.Length > 512)
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        ReadOnlySpan<char> s = chars;
        var body = s.TrimStart("+-");
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase) || body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return body.IndexOfAny(FloatStart) == 0 && double.TryParse(s.ToString().Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    internal static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) => line.Trim(" \t\r\f\v"u8);
}
