using System.Security.Cryptography;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Analyzers.Compressed;
using Rampart.Scanning.Engine;
using Rampart.Scanning.Tests.Compression;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Compressed;

public sealed class CompressedAnalyzerTests
{
    public static TheoryData<string> Vectors() =>
        [.. CompressionVectors.Manifest.Keys.Where(n => !n.StartsWith("bcj", StringComparison.Ordinal) && !n.StartsWith("delta", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Scan_PythonVector_YieldsDecompressedChildWithOriginalContent(string name)
    {
        var report = await ScanHelper.ScanBytesAsync(CompressionVectors.Read(name), name);

        var root = report.Artifacts.Single(a => a.Path == name);
        root.Formats.Should().Contain("compressed");
        root.Facts["compressed.complete"].Should().Be("true");
        var child = report.Artifacts.Single(a => a.Path == name + "#decompressed");
        child.Length.Should().Be(CompressionVectors.Manifest[name].Length);
        report.Findings.Where(f => f.ArtifactPath == name).Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_GzipMember_ChildBytesEqualOriginal()
    {
        var (result, _) = await AnalyzeAsync(CompressionFixtures.Gzip(CompressionFixtures.SampleText), "model.pkl.gz");

        var child = result.Children.Should().ContainSingle().Subject;
        child.Path.Should().Be("model.pkl.gz#decompressed");
        child.Name.Should().Be("model.pkl");
        child.Head.ToArray().Should().Equal(CompressionFixtures.SampleText);
    }

    [Theory]
    [InlineData("compressed/gzip-trailing-garbage")]
    [InlineData("compressed/zlib-trailing-garbage")]
    public async Task Analyze_TrailingGarbage_ReportsItAndAnalysesItAsChild(string fixtureId)
    {
        var bytes = FixtureCatalog.Get(fixtureId).Build();

        var (result, _) = await AnalyzeAsync(bytes, "notes.bin");

        var finding = result.Findings.Should().ContainSingle(f => f.RuleId == CompressedAnalyzer.TrailingDataRule).Subject;
        var offset = long.Parse(finding.Property("offset")!, System.Globalization.CultureInfo.InvariantCulture);
        offset.Should().Be(bytes.Length - "HIDDEN DATA AFTER THE STREAM".Length);
        result.Children.Select(c => c.Path).Should().Contain("notes.bin#trailing-data");
        result.Children.Single(c => c.Path == "notes.bin#trailing-data").Head.ToArray().Should().Equal("HIDDEN DATA AFTER THE STREAM"u8.ToArray());
    }

    [Fact]
    public async Task Analyze_GzipFollowedByZeroBytes_IsNotTrailingData()
    {
        var (result, _) = await AnalyzeAsync(FixtureCatalog.Get("compressed/gzip-zero-padded").Build(), "notes.gz");

        result.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_XzWithBcjFilter_ReportsUnsupportedFeature()
    {
        var (result, _) = await AnalyzeAsync(XzBuilder.Build(CompressionFixtures.SampleText, bcjX86: true), "notes.xz");

        var finding = result.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(CompressedAnalyzer.UnsupportedRule);
        finding.Verdict.Should().Be(Verdict.Inconclusive);
        finding.Property("feature").Should().Be("xz-filter");
    }

    [Fact]
    public async Task Analyze_XzStoredChunks_DecodesThem()
    {
        var content = new byte[150_000];
        new Random(5).NextBytes(content);

        var (result, _) = await AnalyzeAsync(XzBuilder.Build(content), "data.xz");

        result.Findings.Should().BeEmpty();
        result.Children.Should().ContainSingle().Which.Head.Length.Should().Be(Artifact.HeadSize);
        result.Facts["output-bytes"].Should().Be("150000");
    }

    [Theory]
    [InlineData("bomb40m.bz2")]
    [InlineData("bomb40m.xz")]
    public async Task Scan_CompressionBomb_StopsAtRatioLimit(string name)
    {
        var report = await ScanHelper.ScanBytesAsync(CompressionVectors.Read(name), name);

        var finding = report.Findings.Should().ContainSingle(f => f.ArtifactPath == name).Subject;
        finding.RuleId.Should().Be(RuleIds.LimitReached);
        finding.Property("limit").Should().Be("max-compression-ratio");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_OutputPastDecompressedLimit_ReportsLimitAndKeepsPartialChild()
    {
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxDecompressedBytes = 100_000 } };

        var report = await ScanHelper.ScanBytesAsync(CompressionVectors.Read("repeat2500k.crc64.xz"), "big.xz", policy);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached && f.Property("limit") == "max-decompressed-bytes");
        report.Artifacts.Single(a => a.Path == "big.xz").Facts["compressed.complete"].Should().Be("false");
        report.Artifacts.Should().Contain(a => a.Path == "big.xz#decompressed");
    }

    [Fact]
    public async Task Scan_LzmaHeaderAskingFor4GiBDictionary_IsRefused()
    {
        var bytes = CompressionVectors.Read("text40k.lzma");
        bytes[1] = bytes[2] = bytes[3] = bytes[4] = 0xFF;

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.lzma");

        report.Findings.Should().ContainSingle().Which.Property("limit").Should().Be("max-header-bytes");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_CorruptBzip2Block_IsInconclusive()
    {
        var bytes = CompressionVectors.Read("text40k.bz2");
        bytes[bytes.Length / 2] ^= 0x10;

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.bz2");

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.ArtifactPath == "model.bz2");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_TruncatedGzip_IsInconclusiveWithReason()
    {
        var bytes = CompressionVectors.Read("text40k.gz");

        var report = await ScanHelper.ScanBytesAsync(bytes[..(bytes.Length - 3)], "model.gz");

        var finding = report.Findings.Should().ContainSingle(f => f.ArtifactPath == "model.gz").Subject;
        finding.RuleId.Should().Be(RuleIds.ParseError);
        finding.Message.Should().Contain("truncated");
    }

    [Fact]
    public async Task Scan_GzipInsideXz_IsDecompressedAgainThroughTheDispatch()
    {
        var inner = CompressionFixtures.Gzip(CompressionFixtures.SampleText);

        var report = await ScanHelper.ScanBytesAsync(XzBuilder.Build(inner), "notes.txt.gz.xz");

        report.Artifacts.Select(a => a.Path).Should().Contain("notes.txt.gz.xz#decompressed#decompressed");
        report.Artifacts.Single(a => a.Path == "notes.txt.gz.xz#decompressed").Formats.Should().Contain("compressed");
        report.Artifacts.Single(a => a.Path == "notes.txt.gz.xz#decompressed#decompressed").Length.Should().Be(CompressionFixtures.SampleText.Length);
        report.Verdict.Should().Be(Verdict.Clean);
    }

    [Fact]
    public async Task Scan_GzipFileNameLongerThanHeaderLimit_ReportsLimit()
    {
        var member = CompressionFixtures.Gzip(CompressionFixtures.SampleText);
        member[3] |= 0x08; // FNAME follows the 10-byte fixed header
        byte[] bytes = [.. member[..10], .. Enumerable.Repeat((byte)'a', 5000), 0, .. member[10..]];
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxHeaderBytes = 1000 } };

        var report = await ScanHelper.ScanBytesAsync(bytes, "named.gz", policy);

        report.Findings.Should().ContainSingle(f => f.ArtifactPath == "named.gz").Which.Property("limit").Should().Be("max-header-bytes");
    }

    [Fact]
    public async Task Analyze_GzipFileNameWithEscapeSequence_FactHasNoControlCharacters()
    {
        var member = CompressionFixtures.Gzip(CompressionFixtures.SampleText);
        member[3] |= 0x08;
        byte[] bytes = [.. member[..10], .. "evil\u001b[2Jname.pkl"u8, 0, .. member[10..]];

        var (result, _) = await AnalyzeAsync(bytes, "named.gz");

        result.Facts["gzip.name"].Should().Be("evil?[2Jname.pkl");
    }

    [Fact]
    public async Task Analyze_ManyTinyGzipMembers_DecodesAllOfThem()
    {
        var member = CompressionFixtures.Gzip("x"u8.ToArray());
        var bytes = Enumerable.Repeat(member, 20_000).SelectMany(m => m).ToArray();

        var (result, _) = await AnalyzeAsync(bytes, "many.gz");

        result.Findings.Should().BeEmpty();
        result.Facts["streams"].Should().Be("20000");
        result.Facts["output-bytes"].Should().Be("20000");
    }

    [Fact]
    public async Task Analyze_CancelledToken_StopsWithCancellation()
    {
        var artifact = ArtifactFactory.FromBytes("big.xz", null, 0, CompressionVectors.Read("repeat2500k.crc64.xz"), "big.xz");
        var context = new AnalysisContext(AnalyzerRegistry.Rules, ScanPolicy.Default);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await new CompressedAnalyzer().AnalyzeAsync(artifact, context, cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData("x^2 + y^2 = z^2, a note about a model, nothing compressed here at all")]
    [InlineData("xœ this is not zlib either, just text that happens to start with 0x78 0x9C")]
    public void CanAnalyze_TextThatPassesZlibHeaderCheck_IsRejected(string text)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(text);

        CompressedAnalyzer.Detect(bytes).Should().Be(CompressionFormat.None);
    }

    [Fact]
    public void CanAnalyze_RandomBytes_FindsNothingInThousandsOfSamples()
    {
        var random = new Random(42);
        var buffer = new byte[4096];
        var hits = 0;
        for (var i = 0; i < 5000; i++)
        {
            random.NextBytes(buffer);
            if (CompressedAnalyzer.Detect(buffer) != CompressionFormat.None)
            {
                hits++;
            }
        }

        hits.Should().Be(0);
    }

    [Theory]
    [InlineData("hello.gz", "Gzip")]
    [InlineData("hello.zlib", "Zlib")]
    [InlineData("hello.bz2", "Bzip2")]
    [InlineData("empty.bz2", "Bzip2")]
    [InlineData("hello.crc32.xz", "Xz")]
    [InlineData("hello.lzma", "LzmaAlone")]
    public void Detect_PythonVector_RecognisesFormat(string name, string expected)
    {
        CompressedAnalyzer.Detect(CompressionVectors.Read(name)).ToString().Should().Be(expected);
    }

    private static async Task<(AnalysisResult Result, ScanReport? Report)> AnalyzeAsync(byte[] bytes, string name)
    {
        var artifact = ArtifactFactory.FromBytes(name, null, 0, bytes, name);
        var analyzer = new CompressedAnalyzer();
        analyzer.CanAnalyze(artifact).Should().BeTrue();
        var context = new AnalysisContext(AnalyzerRegistry.Rules, ScanPolicy.Default);
        return (await analyzer.AnalyzeAsync(artifact, context, CancellationToken.None), null);
    }
}
