namespace Rampart.TestKit.Fuzz;

/// <summary>How a length field found in a seed is encoded.</summary>
public enum LengthFieldKind
{
    /// <summary>A little-endian unsigned integer of 1, 2, 4 or 8 bytes.</summary>
    LittleEndian,

    /// <summary>An ASCII octal number padded with NUL or space (tar headers).</summary>
    Octal,
}

/// <summary>A length, count or offset field inside a seed that a mutation may overwrite with a huge value.</summary>
public sealed record LengthField(int Offset, int Width, LengthFieldKind Kind = LengthFieldKind.LittleEndian);

/// <summary>
/// Where a seed's structure lies: the offsets where records begin (pickle opcodes, zip headers, tar blocks) and its
/// length fields. Found by a shallow content scan, never by a real parser, so it also works on foreign fixtures.
/// </summary>
public sealed record StructureMap(IReadOnlyList<int> Boundaries, IReadOnlyList<LengthField> LengthFields)
{
    private const int MaxOpcodesWalked = 20_000;
    private const int MaxPickleStarts = 16;

    public static StructureMap Of(ReadOnlySpan<byte> data)
    {
        var boundaries = new SortedSet<int> { 0, data.Length };
        var fields = new List<LengthField>();
        FindZipRecords(data, boundaries, fields);
        FindNumpyHeaders(data, boundaries, fields);
        FindTarHeaders(data, boundaries, fields);
        FindPickles(data, boundaries, fields);
        return new StructureMap([.. boundaries], fields);
    }

    private static void FindZipRecords(ReadOnlySpan<byte> data, SortedSet<int> boundaries, List<LengthField> fields)
    {
        for (var i = 0; i + 4 <= data.Length; i++)
        {
            if (data[i] != (byte)'P' || data[i + 1] != (byte)'K')
            {
                continue;
            }

            (int Offset, int Width)[] layout = (data[i + 2], data[i + 3]) switch
            {
                (3, 4) => [(18, 4), (22, 4), (26, 2), (28, 2)],
                (1, 2) => [(20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (42, 4)],
                (5, 6) => [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)],
                (6, 6) => [(4, 8), (24, 8), (32, 8), (40, 8), (48, 8)],
                (6, 7) => [(8, 8)],
                (7, 8) => [(8, 4), (12, 4)],
                _ => [],
            };
            if (layout.Length == 0)
            {
                continue;
            }

            boundaries.Add(i);
            foreach (var (offset, width) in layout)
            {
                if (i + offset + width <= data.Length)
                {
                    fields.Add(new LengthField(i + offset, width));
                }
            }
        }
    }

    private static void FindNumpyHeaders(ReadOnlySpan<byte> data, SortedSet<int> boundaries, List<LengthField> fields)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        var start = 0;
        while (start < data.Length)
        {
            var at = data[start..].IndexOf(magic);
            if (at < 0)
            {
                return;
            }

            var i = start + at;
            boundaries.Add(i);
            if (i + 12 <= data.Length)
            {
                var major = data[i + 6];
                fields.Add(new LengthField(i + 8, major >= 2 ? 4 : 2));
                var headerLength = major >= 2 ? BitConverter.ToInt32(data.Slice(i + 8, 4)) : BitConverter.ToUInt16(data.Slice(i + 8, 2));
                var dataStart = i + (major >= 2 ? 12 : 10) + headerLength;
                if (dataStart > i && dataStart < data.Length)
                {
                    boundaries.Add(dataStart);
                }
            }

            start = i + 1;
        }
    }

    private static void FindTarHeaders(ReadOnlySpan<byte> data, SortedSet<int> boundaries, List<LengthField> fields)
    {
        ReadOnlySpan<byte> magic = "ustar"u8;
        for (var header = 0; header + 512 <= data.Length; header += 512)
        {
            if (data.Slice(header + 257, 5).SequenceEqual(magic))
            {
                boundaries.Add(header);
                boundaries.Add(header + 512);
                fields.Add(new LengthField(header + 124, 11, LengthFieldKind.Octal));
            }
        }
    }

    private static void FindPickles(ReadOnlySpan<byte> data, SortedSet<int> boundaries, List<LengthField> fields)
    {
        var starts = new List<int>();
        if (data.Length > 0 && IsKnownOpcode(data[0]))
        {
            starts.Add(0);
        }

        for (var i = 1; i + 1 < data.Length && starts.Count < MaxPickleStarts; i++)
        {
            if (data[i] == 0x80 && data[i + 1] <= 5)
            {
                starts.Add(i);
            }
        }

        foreach (var start in starts)
        {
            WalkPickle(data, start, boundaries, fields);
        }
    }

    private static void WalkPickle(ReadOnlySpan<byte> data, int position, SortedSet<int> boundaries, List<LengthField> fields)
    {
        for (var n = 0; n < MaxOpcodesWalked && position < data.Length; n++)
        {
            boundaries.Add(position);
            var op = data[position];
            var arg = position + 1;
            int next;
            switch (op)
            {
                case 0x80 or (byte)'K' or (byte)'q' or (byte)'h' or 0x82:
                    next = arg + 1;
                    break;
                case (byte)'M' or 0x83:
                    next = arg + 2;
                    break;
                case (byte)'J' or (byte)'r' or (byte)'j' or 0x84:
                    next = arg + 4;
                    break;
                case (byte)'G':
                    next = arg + 8;
                    break;
                case 0x95:
                    fields.Add(new LengthField(arg, 8));
                    next = arg + 8;
                    break;
                case (byte)'U' or (byte)'C' or 0x8c or 0x8a:
                    if (arg >= data.Length)
                    {
                        return;
                    }

                    fields.Add(new LengthField(arg, 1));
                    next = arg + 1 + data[arg];
                    break;
                case (byte)'T' or (byte)'B' or (byte)'X' or 0x8b:
                    if (arg + 4 > data.Length)
                    {
                        return;
                    }

                    fields.Add(new LengthField(arg, 4));
                    next = (int)Math.Min(int.MaxValue, arg + 4L + BitConverter.ToUInt32(data.Slice(arg, 4)));
                    break;
                case 0x8d or 0x8e or 0x96:
                    if (arg + 8 > data.Length)
                    {
                        return;
                    }

                    fields.Add(new LengthField(arg, 8));
                    next = (int)Math.Min(int.MaxValue, arg + 8L + (long)Math.Min(int.MaxValue, BitConverter.ToUInt64(data.Slice(arg, 8))));
                    break;
                case (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'p' or (byte)'g' or (byte)'P':
                    next = SkipLines(data, arg, 1);
                    break;
                case (byte)'c' or (byte)'i':
                    next = SkipLines(data, arg, 2);
                    break;
                case (byte)'.':
                    boundaries.Add(position + 1);
                    return;
                default:
                    if (!IsKnownOpcode(op))
                    {
                        return;
                    }

                    next = arg;
                    break;
            }

            if (next <= position || next > data.Length)
            {
                return;
            }

            position = next;
        }
    }

    private static int SkipLines(ReadOnlySpan<byte> data, int position, int lines)
    {
        for (var line = 0; line < lines; line++)
        {
            var end = data[position..].IndexOf((byte)'\n');
            if (end < 0)
            {
                return -1;
            }

            position += end + 1;
        }

        return position;
    }

    private static bool IsKnownOpcode(byte op) =>
        op is >= 0x80 and <= 0x98 || "()]}N.012aeustRbQdloIJKLFGSTUVXBCMpgqrhjcPi".Contains((char)op, StringComparison.Ordinal);
}
