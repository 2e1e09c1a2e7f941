using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Rampart.TestKit.Fuzz;

/// <summary>One mutated input and how it was made (for the failure message).</summary>
public sealed record FuzzInput(long Index, FuzzSeed Seed, byte[] Bytes, string Recipe);

/// <summary>
/// Deterministic mutations of seed inputs: the same master seed and index always give the same bytes, so a failure
/// replays from two numbers. Mutations: truncation (random and at structure boundaries), bit flips, byte
/// insert/delete, huge values written over length fields, interesting bytes, chunk duplication, splicing with another
/// seed, appending a seed, and runs of nesting or memo opcodes inserted at pickle opcode boundaries.
/// </summary>
public sealed class Mutator(IReadOnlyList<FuzzSeed> seeds, long masterSeed)
{
    /// <summary>Mutated inputs never grow beyond this (keeps each scan cheap).</summary>
    public const int MaxInputBytes = 1024 * 1024;

    private static readonly ulong[] HugeValues =
        [0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFE, 0x10000, 0, 1];

    private static readonly byte[][] OpcodeRuns =
    [
        "("u8.ToArray(), "]"u8.ToArray(), "}"u8.ToArray(), ")"u8.ToArray(), "h\0"u8.ToArray(), "j\0\0\0\0"u8.ToArray(), [0x94], "0"u8.ToArray(),
        "2"u8.ToArray(), "t"u8.ToArray(), "e"u8.ToArray(), "u"u8.ToArray(), "R"u8.ToArray(), "b"u8.ToArray(), [0x80, 0x02], "."u8.ToArray(),
        "(]e"u8.ToArray(), "N\x85R"u8.ToArray(), "cos\nsystem\n"u8.ToArray(), [0x95, 8, 0, 0, 0, 0, 0, 0, 0],
    ];

    /// <summary>All committed vectors together weigh as much as this many ordinary seeds (there are dozens of them).</summary>
    private const double VectorsWeight = 6;

    private readonly IReadOnlyList<FuzzSeed> _seeds = seeds;
    private readonly double[] _cumulativeWeights = CumulativeWeights(seeds);

    public long MasterSeed { get; } = masterSeed;

    /// <summary>The random source for input <paramref name="index"/>: independent of every other input.</summary>
    public static Random RandomFor(long masterSeed, long index)
    {
        var mixed = (ulong)masterSeed * 0x9E3779B97F4A7C15UL ^ (ulong)index * 0xBF58476D1CE4E5B9UL;
        mixed ^= mixed >> 31;
        return new Random((int)(mixed ^ (mixed >> 32)));
    }

    public FuzzInput Create(long index)
    {
        var random = RandomFor(MasterSeed, index);
        var seed = PickSeed(random);
        var data = new List<byte>(seed.Bytes);
        var recipe = new StringBuilder();

        // About one input in 32 is the seed itself; the rest stack one to four mutations.
        var count = random.Next(32) == 0 ? 0 : 1 + (random.Next(8) switch { < 4 => 0, < 6 => 1, 6 => 2, _ => 3 });
        for (var i = 0; i < count; i++)
        {
            var map = i == 0 ? seed.Map : null;
            recipe.Append(i == 0 ? string.Empty : " + ").Append(Mutate(data, map, random));
            if (data.Count > MaxInputBytes)
            {
                data.RemoveRange(MaxInputBytes, data.Count - MaxInputBytes);
                recipe.Append(" (capped)");
            }
        }

        return new FuzzInput(index, seed, [.. data], count == 0 ? "unmutated" : recipe.ToString());
    }

    private string Mutate(List<byte> data, StructureMap? map, Random random)
    {
        var choice = random.Next(100);
        var boundary = PickBoundary(data, map, random);
        switch (choice)
        {
            case < 10:
            {
                var at = random.Next(data.Count + 1);
                data.RemoveRange(at, data.Count - at);
                return F($"truncate@{at}");
            }

            case < 20:
            {
                var at = Math.Min(data.Count, boundary + random.Next(-1, 2));
                at = Math.Max(0, at);
                data.RemoveRange(at, data.Count - at);
                return F($"truncate-boundary@{at}");
            }

            case < 35:
            {
                if (data.Count == 0)
                {
                    return "flip(empty)";
                }

                var flips = 1 + random.Next(8);
                var local = random.Next(2) == 0;
                var where = new StringBuilder("flip");
                for (var i = 0; i < flips; i++)
                {
                    var at = local ? Math.Clamp(boundary + random.Next(16), 0, data.Count - 1) : random.Next(data.Count);
                    var bit = random.Next(8);
                    data[at] ^= (byte)(1 << bit);
                    where.Append(F($"@{at}.{bit}"));
                }

                return where.ToString();
            }

            case < 43:
            {
                var at = random.Next(2) == 0 ? boundary : random.Next(data.Count + 1);
                var bytes = new byte[1 + random.Next(16)];
                random.NextBytes(bytes);
                data.InsertRange(Math.Min(at, data.Count), bytes);
                return F($"insert{bytes.Length}@{at}");
            }

            case < 51:
            {
                if (data.Count == 0)
                {
                    return "delete(empty)";
                }

                var at = random.Next(2) == 0 ? Math.Min(boundary, data.Count - 1) : random.Next(data.Count);
                var length = Math.Min(data.Count - at, 1 + random.Next(random.Next(2) == 0 ? 4 : 256));
                data.RemoveRange(at, length);
                return F($"delete{length}@{at}");
            }

            case < 66:
                return HugeLength(data, map, random);

            case < 72:
            {
                if (data.Count == 0)
                {
                    return "interesting(empty)";
                }

                var at = random.Next(data.Count);
                byte[] values = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x0A, 0x2E, 0x28];
                var value = values[random.Next(values.Length)];
                data[at] = value;
                return F($"set@{at}={value:x2}");
            }

            case < 77:
            {
                if (data.Count == 0)
                {
                    return "duplicate(empty)";
                }

                var from = random.Next(data.Count);
                var length = Math.Min(data.Count - from, 1 + random.Next(512));
                var copies = 1 + random.Next(random.Next(2) == 0 ? 2 : 64);
                var chunk = data.GetRange(from, length);
                var at = random.Next(data.Count + 1);
                for (var i = 0; i < copies && data.Count < MaxInputBytes; i++)
                {
                    data.InsertRange(at, chunk);
                }

                return F($"duplicate{length}x{copies}@{from}->{at}");
            }

            case < 83:
            {
                var other = PickSeed(random);
                var cut = random.Next(data.Count + 1);
                var otherCut = random.Next(other.Bytes.Length + 1);
                data.RemoveRange(cut, data.Count - cut);
                data.AddRange(other.Bytes.AsSpan(otherCut).ToArray());
                return F($"splice@{cut}+{other.Name}@{otherCut}");
            }

            case < 86:
            {
                var other = PickSeed(random);
                data.AddRange(other.Bytes);
                return "append:" + other.Name;
            }

            default:
            {
                var run = OpcodeRuns[random.Next(OpcodeRuns.Length)];
                var repeat = random.Next(3) switch { 0 => 1 + random.Next(8), 1 => 100 + random.Next(1000), _ => 1000 + random.Next(20000) };
                var bytes = new byte[Math.Min(run.Length * repeat, MaxInputBytes)];
                for (var i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = run[i % run.Length];
                }

                var at = Math.Min(boundary, data.Count);
                data.InsertRange(at, bytes);
                return F($"opcodes[{Convert.ToHexString(run)}]x{repeat}@{at}");
            }
        }
    }

    private static string HugeLength(List<byte> data, StructureMap? map, Random random)
    {
        var value = HugeValues[random.Next(HugeValues.Length)];
        LengthField field;
        if (map is not null && map.LengthFields.Count > 0 && random.Next(4) != 0)
        {
            field = map.LengthFields[random.Next(map.LengthFields.Count)];
        }
        else
        {
            var width = random.Next(2) == 0 ? 4 : 8;
            if (data.Count < width)
            {
                return "huge(too-short)";
            }

            field = new LengthField(random.Next(data.Count - width + 1), width);
        }

        if (field.Offset + field.Width > data.Count)
        {
            return "huge(gone)";
        }

        Span<byte> bytes = stackalloc byte[8];
        if (field.Kind == LengthFieldKind.Octal)
        {
            var text = value > 0x1FFFFFFFF ? "77777777777" : Convert.ToString((long)Math.Min(value, 0x1FFFFFFFF), 8).PadLeft(11, '0');
            for (var i = 0; i < field.Width; i++)
            {
                data[field.Offset + i] = (byte)text[Math.Min(i, text.Length - 1)];
            }

            return F($"huge-octal@{field.Offset}={text}");
        }

        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        if (field.Width < 8 && value > (1UL << (field.Width * 8)) - 1)
        {
            // Narrow fields get their all-ones or top-bit value.
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (value & 1) == 1 ? ulong.MaxValue : 1UL << ((field.Width * 8) - 1));
        }

        for (var i = 0; i < field.Width; i++)
        {
            data[field.Offset + i] = bytes[i];
        }

        return F($"huge{field.Width}@{field.Offset}={Convert.ToHexString(bytes[..field.Width])}");
    }

    private static double[] CumulativeWeights(IReadOnlyList<FuzzSeed> seeds)
    {
        var vectors = seeds.Count(s => s.Name.StartsWith("vector:", StringComparison.Ordinal));
        var cumulative = new double[seeds.Count];
        var total = 0.0;
        for (var i = 0; i < seeds.Count; i++)
        {
            total += seeds[i].Name.StartsWith("vector:", StringComparison.Ordinal) ? Math.Min(1, VectorsWeight / vectors) : 1;
            cumulative[i] = total;
        }

        return cumulative;
    }

    private FuzzSeed PickSeed(Random random)
    {
        var at = Array.BinarySearch(_cumulativeWeights, random.NextDouble() * _cumulativeWeights[^1]);
        return _seeds[Math.Min(_seeds.Count - 1, at < 0 ? ~at : at)];
    }

    private static int PickBoundary(List<byte> data, StructureMap? map, Random random)
    {
        if (map is null || map.Boundaries.Count == 0)
        {
            return random.Next(data.Count + 1);
        }

        return Math.Min(data.Count, map.Boundaries[random.Next(map.Boundaries.Count)]);
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
