namespace Rampart.Scanning.Analyzers.Gguf;

/// <summary>GGUF metadata value types (gguf_type).</summary>
internal enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>A metadata array: its element type and count; string elements are kept only for short arrays.</summary>
internal sealed record GgufArray(GgufValueType ElementType, ulong Count, IReadOnlyList<string>? Strings);

/// <summary>One metadata entry. <see cref="Value"/> is a long, ulong, double, bool, string or <see cref="GgufArray"/>.</summary>
internal sealed record GgufEntry(string Key, GgufValueType Type, object Value, long Offset);

/// <summary>One tensor info: name, dimensions, ggml type and offset relative to the start of the data section.</summary>
internal sealed record GgufTensor(string Name, IReadOnlyList<ulong> Dims, uint Type, ulong Offset, long InfoOffset);

/// <summary>ggml tensor types: name, elements per block and bytes per block.</summary>
internal static class GgmlTypes
{
    private static readonly Dictionary<uint, (string Name, int Block, int Bytes)> Table = new()
    {
        [0] = ("F32", 1, 4), [1] = ("F16", 1, 2), [2] = ("Q4_0", 32, 18), [3] = ("Q4_1", 32, 20),
        [6] = ("Q5_0", 32, 22), [7] = ("Q5_1", 32, 24), [8] = ("Q8_0", 32, 34), [9] = ("Q8_1", 32, 36),
        [10] = ("Q2_K", 256, 84), [11] = ("Q3_K", 256, 110), [12] = ("Q4_K", 256, 144), [13] = ("Q5_K", 256, 176),
        [14] = ("Q6_K", 256, 210), [15] = ("Q8_K", 256, 292), [16] = ("IQ2_XXS", 256, 66), [17] = ("IQ2_XS", 256, 74),
        [18] = ("IQ3_XXS", 256, 98), [19] = ("IQ1_S", 256, 50), [20] = ("IQ4_NL", 32, 18), [21] = ("IQ3_S", 256, 110),
        [22] = ("IQ2_S", 256, 82), [23] = ("IQ4_XS", 256, 136), [24] = ("I8", 1, 1), [25] = ("I16", 1, 2),
        [26] = ("I32", 1, 4), [27] = ("I64", 1, 8), [28] = ("F64", 1, 8), [29] = ("IQ1_M", 256, 56),
        [30] = ("BF16", 1, 2), [34] = ("TQ1_0", 256, 54), [35] = ("TQ2_0", 256, 66), [39] = ("MXFP4", 32, 17),
    };

    /// <summary>llama_ftype names, as general.file_type values.</summary>
    private static readonly Dictionary<long, string> FileTypes = new()
    {
        [0] = "ALL_F32", [1] = "MOSTLY_F16", [2] = "MOSTLY_Q4_0", [3] = "MOSTLY_Q4_1", [4] = "MOSTLY_Q4_1_SOME_F16",
        [7] = "MOSTLY_Q8_0", [8] = "MOSTLY_Q5_0", [9] = "MOSTLY_Q5_1", [10] = "MOSTLY_Q2_K", [11] = "MOSTLY_Q3_K_S",
        [12] = "MOSTLY_Q3_K_M", [13] = "MOSTLY_Q3_K_L", [14] = "MOSTLY_Q4_K_S", [15] = "MOSTLY_Q4_K_M", [16] = "MOSTLY_Q5_K_S",
        [17] = "MOSTLY_Q5_K_M", [18] = "MOSTLY_Q6_K", [19] = "MOSTLY_IQ2_XXS", [20] = "MOSTLY_IQ2_XS", [21] = "MOSTLY_Q2_K_S",
        [22] = "MOSTLY_IQ3_XS", [23] = "MOSTLY_IQ3_XXS", [24] = "MOSTLY_IQ1_S", [25] = "MOSTLY_IQ4_NL", [26] = "MOSTLY_IQ3_S",
        [27] = "MOSTLY_IQ3_M", [28] = "MOSTLY_IQ2_S", [29] = "MOSTLY_IQ2_M", [30] = "MOSTLY_IQ4_XS", [31] = "MOSTLY_IQ1_M",
        [32] = "MOSTLY_BF16", [36] = "MOSTLY_TQ1_0", [37] = "MOSTLY_TQ2_0", [38] = "MOSTLY_MXFP4_MOE",
    };

    public static bool TryGet(uint type, out string name, out int block, out int bytes)
    {
        if (Table.TryGetValue(type, out var t))
        {
            (name, block, bytes) = t;
            return true;
        }

        (name, block, bytes) = ("", 0, 0);
        return false;
    }

    public static int BlockSize(string name) => Table.Values.First(t => t.Name == name).Block;

    public static uint Id(string name) => Table.First(t => t.Value.Name == name).Key;

    public static string FileTypeName(long value) => FileTypes.TryGetValue(value, out var n) ? n : "UNKNOWN_" + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
