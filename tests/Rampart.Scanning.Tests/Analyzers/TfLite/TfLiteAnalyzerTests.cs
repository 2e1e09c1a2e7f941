using Rampart.Core;
using Rampart.Scanning.Analyzers.TfLite;
using Rampart.Scanning.IO;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.TfLite;

public sealed class TfLiteAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes) => ScanHelper.ScanBytesAsync(bytes, "model.tflite");

    [Fact]
    public async Task Analyze_BuiltinOnly_CleanWithFacts()
    {
        var report = await Scan(TfLiteFixtures.Benign().Build());

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["tflite.version"].Should().Be("3");
        facts["tflite.operators"].Should().Be("3");
        facts["tflite.operator_codes"].Should().Be("3");
        facts["tflite.subgraphs"].Should().Be("1");
        facts["tflite.buffers"].Should().Be("2");
        facts["tflite.description"].Should().Be("rampart-testkit");
        facts.Should().NotContainKey("tflite.custom_ops");
    }

    [Fact]
    public async Task Analyze_DeprecatedCodesOnly_StillBuiltin()
    {
        var report = await Scan(TfLiteFixtures.Benign().DeprecatedCodesOnly().Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_CustomOp_NamedWithUseCount()
    {
        var report = await Scan(FixtureCatalog.Get("tflite/custom-op").Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(TfLiteAnalyzer.CustomOp);
        finding.Message.Should().Contain("'MyVendorDecoder'").And.Contain("2 operator(s)").And.Contain("subgraph 0, operator 3");
        report.Artifacts[0].Facts["tflite.custom_ops"].Should().Be("MyVendorDecoder");
    }

    [Fact]
    public async Task Analyze_FlexFileOp_HighSeverityNamingKernel()
    {
        var report = await Scan(FixtureCatalog.Get("tflite/flex-op").Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(TfLiteAnalyzer.FlexOp);
        finding.Severity.Should().Be(Severity.High);
        finding.Property("tf_op").Should().Be("ReadFile");
        finding.Message.Should().Contain("reads files");
    }

    [Fact]
    public async Task Analyze_FlexArithmetic_MediumSeverity()
    {
        var report = await Scan(TfLiteFixtures.Benign().Custom("FlexAddV2").Operator(3).Build());

        report.Findings.Should().ContainSingle().Which.Severity.Should().Be(Severity.Medium);
    }

    [Fact]
    public async Task Analyze_BufferBeyondFile_Reported()
    {
        var report = await Scan(FixtureCatalog.Get("tflite/buffer-outside").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == TfLiteAnalyzer.BufferOutsideFile).Which.Property("buffer").Should().Be("2");
    }

    [Fact]
    public async Task Analyze_OpcodeIndexOutOfRange_Inconclusive()
    {
        var report = await Scan(TfLiteFixtures.Benign().Operator(7).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001").Which.Message.Should().Contain("operator code 7");
    }

    [Theory]
    [InlineData(0, 0xF0)]
    [InlineData(0, 0x00)]
    [InlineData(1, 0xFF)]
    public async Task Analyze_CorruptRootOffset_InconclusiveNotCrash(int index, byte value)
    {
        var bytes = TfLiteFixtures.Benign().Build();
        bytes[index] = value;
        bytes[2] = 0xFF;

        var report = await Scan(bytes);

        report.Artifacts[0].Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-004");
    }

    [Fact]
    public void Reader_EveryTruncation_ThrowsMalformedOrParses()
    {
        var bytes = FixtureCatalog.Get("tflite/custom-op").Build();
        for (var n = 8; n < bytes.Length; n++)
        {
            var prefix = bytes[..n];
            var act = () => TfLiteAnalyzer.Read(prefix, CancellationToken.None);
            try
            {
                act();
            }
            catch (MalformedContentException)
            {
            }
        }

        TfLiteAnalyzer.Read(bytes, CancellationToken.None).Codes.Should().HaveCount(4);
    }

    [Fact]
    public void Reader_VTableOutsideFile_Throws()
    {
        byte[] bytes = [8, 0, 0, 0, (byte)'T', (byte)'F', (byte)'L', (byte)'3', 0xFF, 0xFF, 0xFF, 0x7F];

        var act = () => TfLiteAnalyzer.Read(bytes, CancellationToken.None);

        act.Should().Throw<MalformedContentException>().WithMessage("*vtable*");
    }
}
