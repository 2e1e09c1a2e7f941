using System.Security.Cryptography;
using Rampart.Scanning.Compression;

namespace Rampart.Scanning.Tests.Compression;

public sealed class DecoderRoundTripTests
{
    public static TheoryData<string> Vectors() =>
        [.. CompressionVectors.Manifest.Keys.Where(n => !n.StartsWith("bcj", StringComparison.Ordinal) && !n.StartsWith("delta", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Read_PythonVector_ReproducesOriginalBytes(string name)
    {
        var (output, stream) = CompressionVectors.DecodeAll(CompressionVectors.Kind(name), CompressionVectors.Read(name));

        var (length, sha256) = CompressionVectors.Manifest[name];
        output.LongLength.Should().Be(length);
        Convert.ToHexStringLower(SHA256.HashData(output)).Should().Be(sha256);
        stream.TrailingDataOffset.Should().BeNull();
        stream.Completed.Should().BeTrue();
    }

    [Theory]
    [InlineData("multi.gz", 2)]
    [InlineData("multi.bz2", 2)]
    [InlineData("multi.xz", 2)]
    [InlineData("hello.xz", 1)]
    public void Read_ConcatenatedStreams_DecodesEveryStream(string name, int streams)
    {
        var kind = CompressionVectors.Kind(name);
        var (_, stream) = CompressionVectors.DecodeAll(kind, CompressionVectors.Read(name == "hello.xz" ? "hello.crc64.xz" : name));

        stream.StreamCount.Should().Be(streams);
    }

    [Fact]
    public void Read_Bzip2RandomisedBlock_UndoesTheRandomisation()
    {
        var bytes = CompressionVectors.Read("randomised.bz2");
        (bytes[14] & 0x80).Should().NotBe(0, "the vector's block has its randomised bit set");

        var (output, _) = CompressionVectors.DecodeAll("bz2", bytes);

        Convert.ToHexStringLower(SHA256.HashData(output)).Should().Be(CompressionVectors.Manifest["randomised.bz2"].Sha256);
        output.Should().OnlyContain(b => b >= 'a' && b <= 'h', "without de-randomisation some bytes would be off by one bit");
    }

    [Fact]
    public void Read_GzipWithAllHeaderFields_ParsesAndChecksThem()
    {
        var (_, stream) = CompressionVectors.DecodeAll("gz", CompressionVectors.Read("fields.gz"));

        var gzip = stream.Should().BeOfType<GzipDecoderStream>().Subject;
        gzip.OriginalName.Should().Be("model.pkl");
        gzip.Comment.Should().Be("a comment");
    }

    [Theory]
    [InlineData("crc32.xz", 1)]
    [InlineData("crc64.xz", 4)]
    [InlineData("sha256.xz", 10)]
    [InlineData("none.xz", 0)]
    public void Read_XzCheckTypes_AreRecognised(string suffix, int checkType)
    {
        var (_, stream) = CompressionVectors.DecodeAll("xz", CompressionVectors.Read("text40k." + suffix));

        stream.Should().BeOfType<XzDecoderStream>().Which.CheckType.Should().Be(checkType);
    }

    [Theory]
    [InlineData("bcj.xz", "xz-filter")]
    [InlineData("delta.xz", "xz-filter")]
    public void Read_XzWithUnsupportedFilter_ThrowsUnsupported(string name, string feature)
    {
        var act = () => CompressionVectors.DecodeAll("xz", CompressionVectors.Read(name));

        act.Should().Throw<UnsupportedCompressionException>().Which.Feature.Should().Be(feature);
    }
}
