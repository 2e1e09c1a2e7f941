namespace Rampart.Scanning.Analyzers.Onnx;

/// <summary>ONNX TensorProto.DataType: names and storage sizes.</summary>
internal static class OnnxTypes
{
    private static readonly string[] Names =
    [
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16", "double",
        "uint32", "uint64", "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2",
        "float8e5m2fnuz", "uint4", "int4", "float4e2m1",
    ];

    public static string Name(int dataType) =>
        dataType >= 0 && dataType < Names.Length ? Names[dataType] : $"type{dataType}";

    /// <summary>Bits per element, or 0 where the size is variable or unknown (string, undefined, future types).</summary>
    public static int Bits(int dataType) => dataType switch
    {
        2 or 3 or 9 or 17 or 18 or 19 or 20 => 8,
        4 or 5 or 10 or 16 => 16,
        1 or 6 or 12 => 32,
        7 or 11 or 13 or 14 => 64,
        15 => 128,
        21 or 22 or 23 => 4,
        _ => 0,
    };

    /// <summary>Product of the dimensions (1 for a scalar), or null on overflow or a negative dimension.</summary>
    public static long? ElementCount(IReadOnlyList<long> dims)
    {
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                return null;
            }

            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        return count;
    }

    /// <summary>Bytes raw_data must hold for <paramref name="count"/> elements, or null when not fixed-size or overflowing.</summary>
    public static long? ByteLength(int dataType, long count)
    {
        var bits = Bits(dataType);
        if (bits == 0)
        {
            return null;
        }

        if (bits == 4)
        {
            return (count / 2) + (count % 2);
        }

        return count > long.MaxValue / (bits / 8) ? null : count * (bits / 8);
    }

    /// <summary>Values the typed fields (float_data, int32_data, ...) hold for <paramref name="count"/> elements, or null when not checked.</summary>
    public static long? TypedValues(int dataType, long count) => dataType switch
    {
        14 or 15 => count > long.MaxValue / 2 ? null : count * 2,
        21 or 22 or 23 or 0 => null,
        _ => count,
    };
}
