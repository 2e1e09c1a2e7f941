using System.Text;

namespace Rampart.Scanning.Analyzers.Keras;

/// <summary>
/// Lists the strings inside a CPython marshal stream (the bytes of a serialized code object) without executing or
/// unmarshalling anything. The layout of a code object changes with every Python version, so instead of rebuilding
/// the object this scanner steps through the stream and reads every string record it meets (short and long ASCII,
/// interned, Unicode), skipping the payload of byte strings (the bytecode itself). The identifiers among them are
/// the code's names (co_names, co_varnames) and the other strings its constants.
/// </summary>
internal static class MarshalStrings
{
    /// <summary>At most this many strings are collected from one code object.</summary>
    public const int MaxStrings = 512;

    private const byte FlagRef = 0x80;

    public static IReadOnlyList<string> Read(ReadOnlySpan<byte> data)
    {
        var found = new List<string>();
        var i = 0;
        while (i < data.Length && found.Count < MaxStrings)
        {
            var type = (byte)(data[i] & ~FlagRef);
            switch ((char)type)
            {
                case 'z' or 'Z' when i + 1 < data.Length:
                    {
                        var length = data[i + 1];
                        if (TryText(data, i + 2, length, out var text))
                        {
                            found.Add(text);
                            i += 2 + length;
                            continue;
                        }

                        break;
                    }

                case 'a' or 'A' or 'u' or 't' when i + 5 <= data.Length:
                    {
                        var length = BitConverter.ToInt32(data.Slice(i + 1, 4));
                        if (length is >= 0 and <= 4096 && TryText(data, i + 5, length, out var text))
                        {
                            found.Add(text);
                            i += 5 + length;
                            continue;
                        }

                        break;
                    }

                case 's' when i + 5 <= data.Length:
                    {
                        // A byte string (the bytecode, the line table): skip its payload so it is not misread as records.
                        var length = BitConverter.ToInt32(data.Slice(i + 1, 4));
                        if (length >= 0 && i + 5 + length <= data.Length)
                        {
                            i += 5 + length;
                            continue;
                        }

                        break;
                    }
            }

            i++;
        }

        return found;
    }

    /// <summary>True when the string looks like a Python identifier or dotted name.</summary>
    public static bool IsName(string text)
    {
        if (text.Length == 0 || !(char.IsAsciiLetter(text[0]) || text[0] == '_'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryText(ReadOnlySpan<byte> data, int start, int length, out string text)
    {
        text = string.Empty;
        if (start + length > data.Length)
        {
            return false;
        }

        var bytes = data.Slice(start, length);
        foreach (var b in bytes)
        {
            if (b is < 0x20 and not (byte)'\n' and not (byte)'\t')
            {
                return false;
            }
        }

        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
