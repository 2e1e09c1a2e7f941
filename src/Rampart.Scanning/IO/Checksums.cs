namespace Rampart.Scanning.IO;

/// <summary>
/// CRC-32 as used by gzip, zip and xz (reflected, polynomial 0x04C11DB7), from System.IO.Hashing (vectorised). Code
/// that checksums data as it streams keeps a <see cref="System.IO.Hashing.Crc32"/> instance and appends to it.
/// </summary>
internal static class Crc32
{
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);
}

/// <summary>The CRC-32 variant bzip2 uses: same polynomial, most significant bit first, not reflected.</summary>
internal static class Bzip2Crc
{
    private static readonly uint[] Table = BuildTable();

    public const uint Initial = 0xFFFFFFFFu;

    public static uint Update(uint crc, byte b) => (crc << 8) ^ Table[(crc >> 24) ^ b];

    public static uint Finish(uint crc) => ~crc;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i << 24;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 0x80000000u) != 0 ? (c << 1) ^ 0x04C11DB7u : c << 1;
            }

            table[i] = c;
        }

        return table;
    }
}

/// <summary>CRC-64 with the ECMA-182 polynomial in reflected form, as the xz format's CRC64 check uses.</summary>
internal static class Crc64
{
    private static readonly ulong[] Table = BuildTable();

    public static ulong Append(ulong crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xC96C5795D7870F42UL ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}

/// <summary>Adler-32, the zlib stream checksum.</summary>
internal static class Adler32
{
    public static uint Append(uint adler, ReadOnlySpan<byte> data)
    {
        uint a = adler & 0xFFFF, b = adler >> 16;
        while (data.Length > 0)
        {
            // 5552 is the most bytes that can be summed before b might overflow 32 bits.
            var n = Math.Min(data.Length, 5552);
            foreach (var x in data[..n])
            {
                a += x;
                b += a;
            }

            a %= 65521;
            b %= 65521;
            data = data[n..];
        }

        return (b << 16) | a;
    }
}
