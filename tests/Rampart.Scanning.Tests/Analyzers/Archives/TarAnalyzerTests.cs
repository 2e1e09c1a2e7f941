using Rampart.Core;
using Rampart.Scanning.Analyzers.Archives;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Archives;

public sealed class TarAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes) => ScanHelper.ScanBytesAsync(bytes, "archive.tar");

    [Fact]
    public async Task Analyze_PlainArchive_ExposesMembersWithoutFindings()
    {
        var report = await Scan(FixtureCatalog.Get("tar/plain").Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Select(a => a.Path).Should().BeEquivalentTo("archive.tar", "archive.tar!/model/notes.txt", "archive.tar!/model/config.json");
        report.Artifacts.Single(a => a.Path == "archive.tar!/model/notes.txt").Length.Should().Be(16);
        report.Artifacts[0].Facts["tar.members"].Should().Be("2");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Analyze_LongName_ReadFromGnuOrPaxRecord(bool pax)
    {
        var name = "model/" + new string('d', 120) + "/weights.txt";
        var report = await Scan(new TarBuilder().Add(new TarMember(name, "abc"u8.ToArray()) { Pax = pax }).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Should().Contain(a => a.Path == "archive.tar!/" + name && a.Length == 3);
    }

    [Fact]
    public async Task Analyze_LongTraversalNameInPax_Reported()
    {
        var name = "../" + new string('x', 120);
        var report = await Scan(new TarBuilder().Add(new TarMember(name, "x"u8.ToArray()) { Pax = true }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == TarAnalyzer.UnsafePath).Which.Property("member").Should().Be(name);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    public async Task Analyze_UnsafeName_Reported(string name)
    {
        var report = await Scan(new TarBuilder().Add(name, "x").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == TarAnalyzer.UnsafePath);
    }

    [Theory]
    [InlineData('2', "a/b/link", "../../../etc/passwd", true)]
    [InlineData('2', "a/link", "/etc/passwd", true)]
    [InlineData('2', "a/b/link", "../c/weights.bin", false)]
    [InlineData('1', "a/b/link", "a/c/weights.bin", false)]
    [InlineData('1', "a/b/link", "../weights.bin", true)]
    public async Task Analyze_Links_ReportedWhenEscaping(char type, string name, string target, bool escapes)
    {
        var report = await Scan(new TarBuilder().Add(new TarMember(name, []) { Type = type, LinkName = target }).Build());

        report.Findings.Any(f => f.RuleId == TarAnalyzer.UnsafeLink).Should().Be(escapes);
    }

    [Theory]
    [InlineData('3')]
    [InlineData('4')]
    [InlineData('6')]
    public async Task Analyze_DeviceOrFifo_Reported(char type)
    {
        var report = await Scan(new TarBuilder().Add(new TarMember("dev/x", []) { Type = type }).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == TarAnalyzer.DeviceMember);
    }

    [Fact]
    public async Task Analyze_BadChecksumAfterFirstMember_ReportedAndStops()
    {
        var report = await Scan(FixtureCatalog.Get("tar/bad-checksum").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == TarAnalyzer.ChecksumError).Which.Location.Offset.Should().Be(1024);
        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Artifacts.Should().NotContain(a => a.Path.EndsWith("hidden.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_TruncatedMember_InconclusiveAndNotExposed()
    {
        var report = await Scan(new TarBuilder().Add("a.txt", "first").Add("b.txt", new byte[3000]).TruncateLast().Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("truncated");
        report.Artifacts.Should().Contain(a => a.Path == "archive.tar!/a.txt");
        report.Artifacts.Should().NotContain(a => a.Path == "archive.tar!/b.txt");
    }

    [Fact]
    public async Task Analyze_LegacyTorchLayout_SetsFormatFact()
    {
        var bytes = new TarBuilder().Add("sys_info", "x").Add("pickle", "x").Add("storages", "x").Add("tensors", "x").Build();

        var report = await Scan(bytes);

        report.Artifacts[0].Facts["tar.format"].Should().Be("pytorch-legacy-tar");
    }

    [Fact]
    public async Task Analyze_ZipAsLastMember_ZipViewLeftToTheMember()
    {
        // zipfile would find the member's end record in the tar's tail; the member itself is what holds the zip.
        var report = await Scan(new TarBuilder().Add("notes.txt", "x").Add("inner.zip", ZipFixtures.Plain()).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Formats.Should().Equal("tar");
        report.Artifacts.Single(a => a.Path == "archive.tar!/inner.zip").Formats.Should().Contain("zip");
        report.Artifacts.Should().Contain(a => a.Path == "archive.tar!/inner.zip!/notes.txt");
    }

    [Fact]
    public void CanAnalyze_HeaderWithoutUstarMagic_False()
    {
        var bytes = new TarBuilder().Add("a.txt", "x").Build();
        bytes[257] = (byte)'X';

        new TarAnalyzer().CanAnalyze(ArtifactFactory.FromBytes("a.tar", null, 0, bytes)).Should().BeFalse();
    }

    [Fact]
    public async Task Analyze_NonSeekableParent_MembersReadThroughForwardWindow()
    {
        var bytes = new TarBuilder().Add("a.txt", "first").Add("b.txt", "second member").Build();
        var artifact = new Artifact("archive.tar", null, 0, null, bytes, ReadOnlyMemory<byte>.Empty,
            _ => ValueTask.FromResult<Stream>(new NonSeekable(bytes)));
        var context = new AnalysisContext(Scanning.AnalyzerRegistry.Rules, Core.Policy.ScanPolicy.Default);

        var result = await new TarAnalyzer().AnalyzeAsync(artifact, context, CancellationToken.None);

        result.Findings.Should().BeEmpty();
        var child = result.Children.Single(c => c.Path == "archive.tar!/b.txt");
        child.Head.ToArray().Should().Equal("second member"u8.ToArray());
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
