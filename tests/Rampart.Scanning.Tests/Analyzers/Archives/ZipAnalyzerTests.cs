using System.Text;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Archives;

public sealed class ZipAnalyzerTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<Core.Reporting.ScanReport> Scan(byte[] bytes, ScanLimits? limits = null) =>
        await ScanHelper.ScanBytesAsync(bytes, "archive.zip", limits is null ? null : ScanPolicy.Default with { Limits = limits });

    [Fact]
    public async Task Analyze_PlainArchive_ExposesMembersWithoutFindings()
    {
        var report = await Scan(ZipFixtures.Plain());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Select(a => a.Path).Should().BeEquivalentTo("archive.zip", "archive.zip!/notes.txt", "archive.zip!/config.json");
        var root = report.Artifacts.Single(a => a.Path == "archive.zip");
        root.Formats.Should().Contain("zip");
        root.Facts["zip.members"].Should().Be("2");
        root.Verdict.Should().Be(Verdict.Clean);
    }

    [Fact]
    public async Task Analyze_DeflatedMember_ChildHasInflatedLength()
    {
        var content = Encoding.UTF8.GetBytes(new string('x', 5000));
        var report = await Scan(new ZipBuilder().Add("big.txt", content, deflate: true).Build());

        report.Artifacts.Single(a => a.Path == "archive.zip!/big.txt").Length.Should().Be(5000);
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_Zip64_ReadsMembers()
    {
        var report = await Scan(new ZipBuilder().Zip64().Add("a.txt", "one").Add("b.txt", "two", deflate: true).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single(a => a.Path == "archive.zip").Facts["zip.zip64"].Should().Be("yes");
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/b.txt" && a.Length == 3);
    }

    [Fact]
    public async Task Analyze_LocalNameDiffers_ReportsMismatch()
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("x")) { LocalName = "../b.txt" }).Build());

        report.Findings.Select(f => f.RuleId).Should().Contain([ZipAnalyzer.LocalCentralMismatch, ZipAnalyzer.UnsafePath]);
        report.Findings.First(f => f.RuleId == ZipAnalyzer.LocalCentralMismatch).Property("localName").Should().Be("../b.txt");
    }

    [Fact]
    public async Task Analyze_MethodDiffersBetweenHeaders_ReportsMismatch()
    {
        var bytes = new ZipBuilder().Add("a.txt", "x").Build();
        bytes[8] = 8; // local header method: deflate, central still says stored

        var report = await Scan(bytes);

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.LocalCentralMismatch && f.Message.Contains("method"));
    }

    [Fact]
    public async Task Analyze_DuplicateNames_ReportsOnceAndScansEveryCopy()
    {
        var report = await Scan(new ZipBuilder().Add("a.txt", "1").Add("a.txt", "2").Add("a.txt", "3").Build());

        report.Findings.Where(f => f.RuleId == ZipAnalyzer.DuplicateMember).Should().ContainSingle().Which.Message.Should().Contain("3 times");
        report.Artifacts.Select(a => a.Path).Should().Contain(["archive.zip!/a.txt", "archive.zip!/a.txt#duplicate[2]", "archive.zip!/a.txt#duplicate[3]"]);
    }

    [Theory]
    [InlineData((ushort)0x0040)]
    [InlineData((ushort)0x2000)]
    [InlineData((ushort)0x8000)]
    public async Task Analyze_UnusualFlag_Reported(ushort flag)
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("x")) { ExtraFlags = flag }).Build());

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.UnusualFlags);
    }

    [Fact]
    public async Task Analyze_DataDescriptorFlag_NotUnusual()
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("x")) { ExtraFlags = 0x0008 }).Build());

        report.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Analyze_WrongCrc_ReportsIntegrityMismatch(bool deflate)
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("hello")) { Deflate = deflate, CrcOverride = 1 }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.IntegrityMismatch).Which.Message.Should().Contain("CRC-32");
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/a.txt", "the altered member is still scanned");
    }

    [Fact]
    public async Task Analyze_DeflatedSizeLie_ReportsIntegrityMismatch()
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("hello world")) { Deflate = true, DeclaredSize = 3 }).Build());

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.IntegrityMismatch && f.Message.Contains("decodes to 11"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Analyze_EncryptedFlag_ReportedAndBytesStillScannedAsPyTorchLoadsThem(bool deflate)
    {
        // PyTorch's reader ignores the flag (CVE-2025-1945): the member must be judged by the bytes it would load.
        var pickle = PickleBuilder.CallPickle("os", "system", "id");
        var report = await Scan(new ZipBuilder().Add(new ZipMember("archive/data.pkl", pickle) { ExtraFlags = 1, Deflate = deflate }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.EncryptedMember);
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-PKL-101" && f.ArtifactPath == "archive.zip!/archive/data.pkl");
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_RealCiphertextUnderEncryptedFlag_InconclusiveNotClean()
    {
        var noise = new byte[512];
        new Random(7).NextBytes(noise);
        var report = await Scan(new ZipBuilder().Add(new ZipMember("weights.bin", noise) { ExtraFlags = 1 }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.EncryptedMember);
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Theory]
    [InlineData("../evil.py")]
    [InlineData("a/../../evil.py")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("a\\..\\..\\evil.py")]
    public async Task Analyze_UnsafeName_Reported(string name)
    {
        var report = await Scan(new ZipBuilder().Add(name, "x").Build());

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.UnsafePath && f.Property("member") == name);
    }

    [Theory]
    [InlineData("a..b/c.txt")]
    [InlineData("dir/./file.txt")]
    public async Task Analyze_DotsInsideNames_NotUnsafe(string name)
    {
        var report = await Scan(new ZipBuilder().Add(name, "x").Build());

        report.Findings.Should().NotContain(f => f.RuleId == ZipAnalyzer.UnsafePath);
    }

    [Fact]
    public async Task Analyze_DeclaredBomb_NotDecompressed()
    {
        var report = await Scan(FixtureCatalog.Get("zip/declared-bomb").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.CompressionBomb);
        report.Artifacts.Should().ContainSingle("the bomb is not expanded into a child");
    }

    [Fact]
    public async Task Analyze_BombThatLiesAboutItsSize_StoppedWhileStreaming()
    {
        var zeros = new byte[4 * 1024 * 1024];
        var bytes = new ZipBuilder().Add(new ZipMember("a.bin", zeros) { Deflate = true, DeclaredSize = 100 }).Build();

        var report = await Scan(bytes, ScanLimits.Default with { MaxDecompressedBytes = 1024 * 1024 });

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.CompressionBomb).Which.Property("limit").Should().Be("max-decompressed-bytes");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Analyze_PrependedPickle_ReportsPolyglotAndStillReadsMembers()
    {
        var report = await Scan(FixtureCatalog.Get("zip/pickle-polyglot").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.HiddenData).Which.Location.Offset.Should().Be(0);
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/notes.txt");
    }

    [Fact]
    public async Task Analyze_DataBetweenMembers_ReportedAndExposed()
    {
        var report = await Scan(new ZipBuilder()
            .Add(new ZipMember("a.txt", Text("one")) { After = Text("HIDDEN-BYTES-HERE") })
            .Add("b.txt", "two").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.HiddenData).Which.Property("bytes").Should().Be("17");
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip#gap[1]" && a.Length == 17);
    }

    [Fact]
    public async Task Analyze_DataAfterArchive_ReportedAndExposed()
    {
        var report = await Scan(new ZipBuilder().Add("a.txt", "one").Append(Text("TRAILER")).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.HiddenData);
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip#trailing" && a.Length == 7);
    }

    [Fact]
    public async Task Analyze_DataDescriptorGap_NotHiddenData()
    {
        var report = await Scan(new ZipBuilder()
            .Add(new ZipMember("a.txt", Text("one")) { ExtraFlags = 0x0008, After = new byte[16] })
            .Add("b.txt", "two").Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_SharedLocalHeader_ReportsOverlap()
    {
        var report = await Scan(FixtureCatalog.Get("zip/overlapping").Build());

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.InconsistentStructure && f.Message.Contains("share one local header"));
    }

    [Fact]
    public async Task Analyze_CountDisagrees_ReportsInconsistency()
    {
        var report = await Scan(new ZipBuilder().Add("a.txt", "1").Add("b.txt", "2").DeclareCount(1).Build());

        report.Findings.Should().Contain(f => f.RuleId == ZipAnalyzer.InconsistentStructure && f.Message.Contains("declares 1"));
    }

    [Fact]
    public async Task Analyze_TooManyMembers_LimitReached()
    {
        var builder = new ZipBuilder();
        for (var i = 0; i < 5; i++)
        {
            builder.Add($"f{i}.txt", "x");
        }

        var report = await Scan(builder.Build(), ScanLimits.Default with { MaxMembers = 3 });

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-002" && f.Property("limit") == "max-members");
        report.Artifacts.Count(a => a.Parent == "archive.zip").Should().Be(3);
    }

    [Fact]
    public async Task Analyze_CorruptBzip2Member_Inconclusive()
    {
        var report = await Scan(new ZipBuilder().Add(new ZipMember("a.txt", Text("x")) { MethodOverride = 12 }).Build());

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-001" && f.Message.Contains("bzip2"));
    }

    [Fact]
    public async Task Analyze_MissingLocalHeader_Inconclusive()
    {
        var bytes = new ZipBuilder().Add("a.txt", "x").Build();
        bytes[0] = (byte)'X';

        var report = await Scan(bytes);

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-001" && f.Message.Contains("local header"));
    }

    [Fact]
    public async Task Analyze_TruncatedArchive_Inconclusive()
    {
        var bytes = new ZipBuilder().Add("a.txt", "hello").Build();

        var report = await Scan(bytes[..^10]);

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-001");
    }

    [Fact]
    public async Task Analyze_EndSignatureInNonZipTail_NotClaimed()
    {
        byte[] bytes = [.. Text("just some bytes "), 0x50, 0x4b, 0x05, 0x06, .. new byte[30]];

        var report = await ScanHelper.ScanBytesAsync(bytes, "data.txt");

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Formats.Should().NotContain("zip");
    }

    [Fact]
    public async Task Analyze_NestedBeyondDepthLimit_LimitReached()
    {
        var report = await Scan(ZipFixtures.Nested(10));

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-002" && f.Message.Contains("max-depth"));
    }

    [Fact]
    public async Task Analyze_NestedWithinDepthLimit_Clean()
    {
        var report = await Scan(ZipFixtures.Nested(3));

        report.Findings.Should().BeEmpty();
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/level1.zip!/level0.zip!/notes.txt");
    }

    [Fact]
    public async Task Analyze_RealPythonZipfileLayout_Clean()
    {
        // Bytes written by CPython 3.11 zipfile (ZIP_DEFLATED) for {"w.txt": "weights"}, captured once.
        var bytes = Convert.FromHexString(PythonZip);

        var report = await Scan(bytes);

        report.Findings.Should().BeEmpty();
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/w.txt" && a.Length == 7);
    }

    private const string PythonZip = "504B0304140000000800000021505873D21A090000000700000005000000772E7478742B4FCD4CCF28290600504B01021403140000000800000021505873D21A0900000007000000050000000000000000000000800100000000772E747874504B05060000000001000100330000002C0000000000";

    [Fact]
    public async Task Analyze_Zip64WithPrependedData_OffsetsRebasedLikeZipfile()
    {
        var report = await Scan(new ZipBuilder().Zip64().Prepend(ZipFixtures.PicklePrefix).Add("a.txt", "one").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == ZipAnalyzer.HiddenData);
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/a.txt" && a.Length == 3);
    }

    [Fact]
    public async Task Analyze_LargeStoredMember_NotReadForCrc()
    {
        var big = new byte[ZipAnalyzer.StoredCrcCheckBytes + 1];
        var report = await Scan(new ZipBuilder().Add(new ZipMember("archive/data/0", big) { CrcOverride = 7 }).Build());

        report.Findings.Should().NotContain(f => f.RuleId == ZipAnalyzer.IntegrityMismatch, "large stored tensors are sliced, not read");
        report.Artifacts.Should().Contain(a => a.Path == "archive.zip!/archive/data/0" && a.Length == big.Length);
    }

    [Fact]
    public async Task AnalyzeAsync_Cancelled_Throws()
    {
        var artifact = Rampart.Scanning.Engine.ArtifactFactory.FromBytes("a.zip", null, 0, ZipFixtures.Plain());
        var context = new Rampart.Scanning.Engine.AnalysisContext(AnalyzerRegistry.Rules, ScanPolicy.Default);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await new ZipAnalyzer().AnalyzeAsync(artifact, context, cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Analyze_CorruptDeflateMember_Inconclusive()
    {
        var bytes = new ZipBuilder().Add(new ZipMember("a.txt", [0xff, 0xff, 0xff, 0xff]) { MethodOverride = 8 }).Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("deflate");
    }
}
