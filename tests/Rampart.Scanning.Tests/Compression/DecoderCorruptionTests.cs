using Rampart.Scanning.Compression;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Tests.Compression;

/// <summary>Hostile input must end in a Rampart exception (malformed, unsupported, limit), never another one or a hang.</summary>
public sealed class DecoderCorruptionTests
{
    public static TheoryData<string> SmallSingleStreamVectors() =>
    [
        "hello.gz", "hello.zlib", "hello.bz2", "hello.lzma", "hello.crc32.xz", "hello.crc64.xz", "hello.sha256.xz", "hello.none.xz",
        "empty.gz", "empty.bz2", "empty.crc64.xz", "fields.gz",
    ];

    public static TheoryData<string> FlipVectors() =>
    [
        "hello.gz", "hello.zlib", "hello.bz2", "hello.lzma", "hello.crc32.xz", "hello.crc64.xz", "hello.sha256.xz", "hello.none.xz",
        "text40k.gz", "text40k.bz2", "text40k.lzma", "text40k.crc64.xz", "repeat2500k.bz2l1", "smalldict.xz", "fields.gz",
    ];

    [Theory]
    [MemberData(nameof(SmallSingleStreamVectors))]
    public void Read_TruncatedAtEveryLength_ThrowsMalformed(string name)
    {
        var bytes = CompressionVectors.Read(name);
        for (var length = 0; length < bytes.Length; length++)
        {
            var act = () => CompressionVectors.DecodeAll(CompressionVectors.Kind(name), bytes[..length]);

            act.Should().Throw<MalformedContentException>($"{name} cut to {length} of {bytes.Length} bytes is incomplete");
        }
    }

    [Theory]
    [MemberData(nameof(FlipVectors))]
    public void Read_BitFlips_EndInRampartExceptionsOnly(string name)
    {
        var original = CompressionVectors.Read(name);
        var random = new Random(name.Length * 7919);
        var bits = original.Length * 8;

        // Every bit of small vectors; random bits of larger ones (fewer where each decode produces megabytes).
        var samples = CompressionVectors.Manifest[name].Length > 1_000_000 ? 30 : 400;
        var positions = bits <= 2000 ? Enumerable.Range(0, bits) : Enumerable.Range(0, samples).Select(_ => random.Next(bits));
        var detected = 0;
        var total = 0;
        foreach (var bit in positions)
        {
            var bytes = (byte[])original.Clone();
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            total++;
            try
            {
                CompressionVectors.DecodeAll(CompressionVectors.Kind(name), bytes);
            }
            catch (Exception e) when (e is MalformedContentException or UnsupportedCompressionException or LimitExceededException)
            {
                detected++;
            }
        }

        // Formats with integrity checks catch nearly every flip; .lzma has none, so only its structure can fail.
        if (!name.EndsWith(".lzma", StringComparison.Ordinal) && !name.EndsWith("none.xz", StringComparison.Ordinal))
        {
            detected.Should().BeGreaterThan(total * 8 / 10, $"{name}: CRCs should catch most flips");
        }
    }

    [Fact]
    public void Read_Bzip2WithImpossibleOriginPointer_ThrowsMalformed()
    {
        // Block header of "hello.bz2": origin pointer is the 24 bits after the 32-bit block CRC and the randomised bit.
        var bytes = CompressionVectors.Read("hello.bz2");
        bytes[15] = 0xFF;
        bytes[16] = 0xFF;

        var act = () => CompressionVectors.DecodeAll("bz2", bytes);

        act.Should().Throw<MalformedContentException>();
    }

    [Fact]
    public void Read_XzDictionaryOverLimit_ThrowsLimitBeforeAllocating()
    {
        var stream = new XzDecoderStream(new MemoryStream(CompressionVectors.Read("text40k.crc64.xz")), maxDictionaryBytes: 1024);

        var act = () => stream.Read(new byte[100]);

        act.Should().Throw<LimitExceededException>().Which.LimitName.Should().Be("max-header-bytes");
    }

    [Fact]
    public void Read_EmptyInput_ThrowsMalformedForEveryDecoder()
    {
        foreach (var kind in new[] { "gz", "zlib", "bz2", "lzma", "xz" })
        {
            var act = () => CompressionVectors.DecodeAll(kind, []);

            act.Should().Throw<MalformedContentException>(kind);
        }
    }
}
