using Rampart.Core;
using Rampart.Scanning.Analyzers.TorchScript;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.TorchScript;

public sealed class TorchScriptCodeAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> ScanCode(string code) =>
        ScanHelper.ScanBytesAsync(TorchScriptFixtures.Archive(code), "model.pt");

    [Fact]
    public async Task Analyze_CodeWrittenByTorchJitSave_NoTorchScriptFindings()
    {
        var report = await ScanCode(TorchScriptFixtures.BenignCode);

        report.Artifacts.Should().Contain(a => a.Path == "model.pt!/archive/code/__torch__.py" && a.Formats.Contains("torchscript"));
        report.Artifacts.Single(a => a.Path == "model.pt!/archive/code/__torch__.py").Formats.Should().NotContain("python",
            "TorchScript code is compiled by TorchScript, not run by Python: the Python-source rules do not apply to it");
        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-TS-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_HandEditedImportOs_MaliciousWithLine()
    {
        var report = await ScanCode(TorchScriptFixtures.HostileCode);

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == TorchScriptCodeAnalyzer.DangerousReference).Subject;
        finding.Property("name").Should().Be("__import__");
        finding.Location.Line.Should().Be(7);
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_CustomOperatorAndClass_ReportedOncePerNamespace()
    {
        var report = await ScanCode(TorchScriptFixtures.CustomOpCode + "  def other(self, x: Tensor) -> Tensor:\n    return torch.ops.my_ext.other(x)\n");

        report.Findings.Should().ContainSingle(f => f.RuleId == TorchScriptCodeAnalyzer.CustomOperator).Which.Property("namespace").Should().Be("my_ext");
        report.Findings.Should().ContainSingle(f => f.RuleId == TorchScriptCodeAnalyzer.CustomClass).Which.Property("name").Should().Be("torch.classes.my_ext");
        report.Artifacts.Single(a => a.Formats.Contains("torchscript")).Facts["torchscript.custom_op_calls"].Should().Be("2");
    }

    [Theory]
    [InlineData("    s = \"os.system('x')\"\n")]
    [InlineData("    # eval(x) and subprocess in a comment\n")]
    [InlineData("    t = '''torch.ops.evil.x\n  exec'''\n")]
    [InlineData("    y = self.os_mode\n")]
    [InlineData("    z = x.eval\n")]
    public async Task Analyze_NamesInStringsCommentsOrAttributes_NotReferences(string line)
    {
        var report = await ScanCode("class M(Module):\n  def forward(self, x: Tensor) -> Tensor:\n" + line + "    return x\n");

        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-TS-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_ReferenceSplitAcrossSpacesAndLines_StillFound()
    {
        var report = await ScanCode("class M(Module):\n  def forward(self, x: Tensor) -> Tensor:\n    return (torch .\n      ops . evil_lib . run)(x)\n");

        report.Findings.Should().ContainSingle(f => f.RuleId == TorchScriptCodeAnalyzer.CustomOperator && f.Property("namespace") == "evil_lib");
    }

    [Fact]
    public async Task CanAnalyze_PythonFileOutsideCodeFolder_NotSelected()
    {
        var bytes = new ZipBuilder().Add("archive/data.pkl", PyTorchFixtures.EmptyDictPickle).Add("archive/extra/run.py", "import os\n").Add("archive/version", "3\n").Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        report.Artifacts.Should().NotContain(a => a.Formats.Contains("torchscript"));
    }

    [Fact]
    public void Tokenizer_Chains_DottedNamesWithLines()
    {
        var chains = TorchScriptTokenizer.Chains("a.b.c(1.5, d)\nr'x.y' + e . f\n", CancellationToken.None);

        chains.Select(c => c.ToString()).Should().Equal("a.b.c", "d", "e.f");
        chains[2].Line.Should().Be(2);
    }
}
