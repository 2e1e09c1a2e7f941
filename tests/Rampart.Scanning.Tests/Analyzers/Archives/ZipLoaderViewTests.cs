using System.Text;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Archives;

/// <summary>
/// Archives that real loaders read differently from scanners built on Python's zipfile: flag bits in one header and
/// not the other, encryption flags PyTorch ignores, and every zip reader in Rampart going through one bounded,
/// CRC-checked member path (the zip, Keras and PyTorch analyzers).
/// </summary>
public sealed class ZipLoaderViewTests
{
    private static readonly byte[] Payload = PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker");

    private static byte[] Checkpoint(ZipMember dataPkl) => new ZipBuilder().Add(dataPkl).Add("archive/version", "3\n").Build();

    [Theory]
    [InlineData((ushort)0x0001, false)]
    [InlineData((ushort)0x0001, true)]
    [InlineData((ushort)0x0020, false)]
    [InlineData((ushort)0x0040, true)]
    [InlineData((ushort)0x2000, false)]
    [InlineData((ushort)0x0061, true)]
    public async Task Analyze_FlagBitsOnlyInLocalHeader_MismatchReportedAndPayloadJudged(ushort localOnly, bool deflate)
    {
        // torch.load reads the central directory only and runs this payload; Python's zipfile refuses bit 5 locally.
        var bytes = Checkpoint(new ZipMember("archive/data.pkl", Payload) { LocalOnlyFlags = localOnly, Deflate = deflate });

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        var mismatch = report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.LocalCentralMismatch).Subject;
        mismatch.Property("flags").Should().Be($"0x{localOnly:X4}");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.ArtifactPath == "model.pt!/archive/data.pkl");
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Theory]
    [InlineData((ushort)0x0001)]
    [InlineData((ushort)0x0009)]
    public async Task Analyze_EncryptedFlagInBothHeaders_PayloadStillJudged(ushort flags)
    {
        var bytes = Checkpoint(new ZipMember("archive/data.pkl", Payload) { ExtraFlags = flags, Deflate = true });

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.EncryptedMember);
        report.Findings.Should().NotContain(f => f.RuleId == ZipAnalyzer.LocalCentralMismatch);
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_DataDescriptorFlagOnly_NoMismatch()
    {
        var bytes = Checkpoint(new ZipMember("archive/data.pkl", PyTorchFixturesEmptyDict) { LocalOnlyFlags = 0x0008 });

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        report.Findings.Should().NotContain(f => f.RuleId == ZipAnalyzer.LocalCentralMismatch);
    }

    private static readonly byte[] PyTorchFixturesEmptyDict = [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PyTorch_VersionRecordDeflatedOrFlagged_ReadThroughTheSharedPath(bool flagged)
    {
        var bytes = new ZipBuilder()
            .Add("archive/data.pkl", PyTorchFixturesEmptyDict)
            .Add(new ZipMember("archive/version", Encoding.ASCII.GetBytes("3\n")) { Deflate = true, ExtraFlags = (ushort)(flagged ? 1 : 0) })
            .Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        report.Artifacts.First().Facts["pytorch.version"].Should().Be("3");
    }

    private static byte[] KerasArchive(ZipMember metadata) => new ZipBuilder()
        .Add("config.json", new KerasConfigBuilder().Keras3().Dense().BuildJson())
        .Add(metadata)
        .Build();

    private static readonly byte[] Metadata = Encoding.UTF8.GetBytes("""{"keras_version": "3.3.3", "date_saved": "2024-05-01@10:00:00"}""");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Keras_MetadataWithWrongCrc_KerasReaderRefusesLikeZipfile(bool deflate)
    {
        var report = await ScanHelper.ScanBytesAsync(KerasArchive(new ZipMember("metadata.json", Metadata) { Deflate = deflate, CrcOverride = 5 }), "model.keras");

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("Keras (Python's zipfile) refuses"));
        report.Artifacts.First().Facts.Should().NotContainKey("keras.version");
    }

    [Fact]
    public async Task Keras_MetadataPastTheDecompressionLimit_LimitReachedByTheKerasReader()
    {
        var large = Encoding.UTF8.GetBytes("{\"keras_version\": \"3.3.3\", \"pad\": \"" + new string(' ', 200_000) + "\"}");
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxDecompressedBytes = 50_000 } };

        var report = await ScanHelper.ScanBytesAsync(KerasArchive(new ZipMember("metadata.json", large) { Deflate = true }), "model.keras", policy);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached && f.Message.Contains("metadata.json"));
        report.Artifacts.First().Facts.Should().NotContainKey("keras.version");
    }

    [ZipPayloadTheory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(93)]
    [InlineData(95)]
    public async Task Keras_MetadataInAnyZipfileMethod_Read(ushort method)
    {
        var report = await ScanHelper.ScanBytesAsync(KerasArchive(ZipPayloads.Member("metadata.json", method, Metadata)), "model.keras");

        report.Artifacts.First().Facts["keras.version"].Should().Be("3.3.3");
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Keras_DeflatedMetadataThenStoredWeights_BothRead()
    {
        // The old reader disposed the shared archive stream after the first deflated member.
        var bytes = new ZipBuilder()
            .Add("config.json", new KerasConfigBuilder().Keras3().Dense().BuildJson())
            .Add(new ZipMember("metadata.json", Metadata) { Deflate = true })
            .Add("model.weights.h5", "not hdf5")
            .Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.keras");

        report.Artifacts.First().Facts["keras.version"].Should().Be("3.3.3");
        report.Artifacts.First().Facts["keras.weights"].Should().Be("not-hdf5");
        report.Findings.Should().NotContain(f => f.RuleId == RuleIds.AnalyzerFailure);
    }
}
