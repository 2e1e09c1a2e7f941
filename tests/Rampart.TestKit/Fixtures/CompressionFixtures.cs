using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the compressed-stream analyzer's rules (RAMP-CMP-*).</summary>
public sealed class CompressionFixtures : IFixtureSource
{
    /// <summary>Harmless text that compresses well.</summary>
    public static byte[] SampleText { get; } = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 400).Select(i => $"line {i}: the quick brown fox\n")));

    public IEnumerable<Fixture> Fixtures =>
    [
        new("compressed/gzip-plain", "notes.txt.gz", () => Gzip(SampleText)),
        new("compressed/gzip-trailing-garbage", "notes.txt.gz", () => [.. Gzip(SampleText), .. "HIDDEN DATA AFTER THE STREAM"u8]),
        new("compressed/gzip-zero-padded", "notes.txt.gz", () => [.. Gzip(SampleText), .. new byte[16]]),
        new("compressed/zlib-trailing-garbage", "notes.txt.z", () => [.. Zlib(SampleText), .. "HIDDEN DATA AFTER THE STREAM"u8]),
        new("compressed/xz-stored", "notes.txt.xz", () => XzBuilder.Build(SampleText)),
        new("compressed/xz-bcj-filter", "notes.txt.xz", () => XzBuilder.Build(SampleText, bcjX86: true)),
    ];

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    public static byte[] Zlib(byte[] content)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(content);
        }

        return output.ToArray();
    }
}

/// <summary>
/// Writes a valid single-block .xz file whose LZMA2 data is stored (uncompressed chunks), optionally declaring a
/// BCJ x86 filter before LZMA2 (a stored x86 filter over text changes nothing a decoder could not undo, but Rampart
/// must report the filter as unsupported rather than guess).
/// </summary>
public static class XzBuilder
{
    public static byte[] Build(byte[] content, bool bcjX86 = false, byte checkType = 1)
    {
        ArgumentNullException.ThrowIfNull(content);
        var output = new List<byte>();
        byte[] flags = [0, checkType];
        output.AddRange([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]);
        output.AddRange(flags);
        AddUInt32(output, Crc32(flags));

        // Block header: size, flags, filter flags, zero padding to a multiple of four, CRC32.
        var header = new List<byte> { 0, (byte)(bcjX86 ? 1 : 0) };
        if (bcjX86)
        {
            header.AddRange([0x04, 0x00]);
        }

        header.AddRange([0x21, 0x01, 0x00]);
        while ((header.Count + 4) % 4 != 0)
        {
            header.Add(0);
        }

        header[0] = (byte)(((header.Count + 4) / 4) - 1);
        AddUInt32(header, Crc32([.. header]));
        output.AddRange(header);

        var dataStart = output.Count;
        for (var offset = 0; offset < content.Length; offset += 65536)
        {
            var n = Math.Min(65536, content.Length - offset);
            output.Add(offset == 0 ? (byte)1 : (byte)2);
            output.Add((byte)((n - 1) >> 8));
            output.Add((byte)(n - 1));
            output.AddRange(content.AsSpan(offset, n));
        }

        output.Add(0);
        while ((header.Count + (output.Count - dataStart)) % 4 != 0)
        {
            output.Add(0);
        }

        var checkSize = checkType == 1 ? 4 : 0;
        if (checkType == 1)
        {
            AddUInt32(output, Crc32(content));
        }

        var index = new List<byte> { 0, 1 };
        AddVli(index, (ulong)(header.Count + UnpaddedData(content.Length) + checkSize));
        AddVli(index, (ulong)content.Length);
        while (index.Count % 4 != 0)
        {
            index.Add(0);
        }

        AddUInt32(index, Crc32([.. index]));
        output.AddRange(index);

        var footer = new List<byte>();
        AddUInt32(footer, (uint)((index.Count / 4) - 1));
        footer.AddRange(flags);
        AddUInt32(output, Crc32([.. footer]));
        output.AddRange(footer);
        output.AddRange("YZ"u8);
        return [.. output];
    }

    /// <summary>LZMA2 bytes of a stored encoding: 3 header bytes per 64 KiB chunk, the content, the end byte.</summary>
    private static int UnpaddedData(int length) => (3 * ((length + 65535) / 65536)) + length + 1;

    private static void AddUInt32(List<byte> list, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        list.AddRange(b);
    }

    private static void AddVli(List<byte> list, ulong value)
    {
        while (value >= 0x80)
        {
            list.Add((byte)(value | 0x80));
            value >>= 7;
        }

        list.Add((byte)value);
    }

    /// <summary>CRC-32 (reflected 0xEDB88320), bit by bit: fixtures are small.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
