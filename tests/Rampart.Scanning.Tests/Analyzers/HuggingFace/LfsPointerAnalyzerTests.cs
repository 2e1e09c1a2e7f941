using System.Text;
using Rampart.Core;
using Rampart.Scanning.Analyzers.HuggingFace;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.HuggingFace;

public sealed class LfsPointerAnalyzerTests
{
    [Fact]
    public async Task Analyze_Pointer_InconclusiveWithOidAndSize()
    {
        var report = await ScanHelper.ScanBytesAsync(Encoding.UTF8.GetBytes(HuggingFaceRepoBuilder.LfsPointer(1234)), "pytorch_model.bin");

        var artifact = report.Artifacts.Single();
        artifact.Formats.Should().Equal("lfs-pointer");
        artifact.Facts["lfs-pointer.size"].Should().Be("1234");
        artifact.Facts["lfs-pointer.oid"].Should().StartWith("sha256:4d7a");
        artifact.Facts["lfs-pointer.spec"].Should().Be("https://git-lfs.github.com/spec/v1");
        report.Findings.Should().ContainSingle(f => f.RuleId == LfsPointerAnalyzer.UnresolvedPointer).Which.Message.Should().Contain("1,234 bytes");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Analyze_PointerWithoutOid_StillReported()
    {
        var report = await ScanHelper.ScanBytesAsync("version https://git-lfs.github.com/spec/v1\n"u8.ToArray(), "model.safetensors");

        report.Findings.Should().ContainSingle(f => f.RuleId == LfsPointerAnalyzer.UnresolvedPointer && f.Message.Contains("without a complete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_LongFileStartingWithSpecLine_NotAPointer()
    {
        var bytes = Encoding.UTF8.GetBytes("version https://git-lfs.github.com/spec/v1\n" + new string('x', 5000));

        var report = await ScanHelper.ScanBytesAsync(bytes, "notes.txt");

        report.Artifacts.Single().Formats.Should().NotContain("lfs-pointer");
    }
}
