using System.Globalization;
using System.IO.Compression;
using System.Text;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Compressed;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Compressed;

/// <summary>
/// joblib before 0.10 wrote compressed dumps as "ZF" + the inflated length ("0x...", space-padded to 19 bytes) + a
/// zlib stream, and today's joblib.load still reads them (its compatibility loader unpickles the content). Such a file
/// must be unpacked and judged, never reported clean because no analyzer knows the header.
/// </summary>
public sealed class JoblibZfileTests
{
    private static byte[] Zfile(byte[] content, string? lengthField = null)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(content);
        }

        var length = lengthField ?? "0x" + content.Length.ToString("x", CultureInfo.InvariantCulture);
        return [.. "ZF"u8.ToArray(), .. Encoding.ASCII.GetBytes(length.PadRight(19)), .. compressed.ToArray()];
    }

    [Theory]
    [InlineData("model")]
    [InlineData("model.pkl")]
    [InlineData("model.joblib")]
    [InlineData("weights.bin")]
    public async Task Scan_ZfileWithAPayload_IsMaliciousWhateverItsName(string name)
    {
        var report = await ScanHelper.ScanBytesAsync(Zfile(PickleBuilder.CallPickle("os", "system", "touch /tmp/marker")), name);

        report.Artifacts.Single(a => a.Path == name).Formats.Should().Contain("compressed");
        report.Artifacts.Single(a => a.Path == name).Facts["compressed.format"].Should().Be("joblib-zfile");
        report.Verdict.Should().Be(Verdict.Malicious);
        report.Findings.Should().Contain(f => f.ArtifactPath == name + "#decompressed" && f.Message.Contains("os.system", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scan_ZfileWithPlainData_IsNotMalicious()
    {
        var report = await ScanHelper.ScanBytesAsync(Zfile(PickleBuilder.TorchStateDict("w")), "old.pkl");

        report.Verdict.Should().NotBe(Verdict.Malicious);
        report.Artifacts.Should().Contain(a => a.Path == "old.pkl#decompressed");
    }

    [Theory]
    [InlineData("0x1f", true)]
    [InlineData("0xDEADbeef", true)]
    [InlineData("0x", false)]
    [InlineData("0x1g", false)]
    [InlineData("0x1 2", false)]
    [InlineData("1f", false)]
    public void Detect_LengthField_MustBeHexThenSpaces(string lengthField, bool recognised)
    {
        var detected = CompressedAnalyzer.Detect(Zfile("data"u8.ToArray(), lengthField)) == CompressionFormat.JoblibZfile;
        detected.Should().Be(recognised);
    }
}
