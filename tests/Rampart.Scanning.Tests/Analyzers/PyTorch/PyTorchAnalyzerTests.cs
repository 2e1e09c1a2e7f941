using Rampart.Scanning.Analyzers.PyTorch;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.PyTorch;

public sealed class PyTorchAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes) => ScanHelper.ScanBytesAsync(bytes, "model.pt");

    private static System.Collections.Immutable.ImmutableSortedDictionary<string, string> RootFacts(Core.Reporting.ScanReport report) => report.Artifacts.Single(a => a.Path == "model.pt").Facts;

    [Fact]
    public async Task Analyze_StateDictLayout_FactsWithoutTorchFindings()
    {
        var report = await Scan(PyTorchFixtures.StateDict("archive"));

        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-TORCH", StringComparison.Ordinal));
        var facts = RootFacts(report);
        facts["pytorch.format"].Should().Be("pytorch-zip");
        facts["pytorch.root"].Should().Be("archive");
        facts["pytorch.version"].Should().Be("3");
        facts["pytorch.storages"].Should().Be("2");
        facts["pytorch.torchscript"].Should().Be("no");
        report.Artifacts.Should().Contain(a => a.Path == "model.pt!/archive/data.pkl");
    }

    [Fact]
    public async Task Analyze_AnyRootFolderName_Recognised()
    {
        var report = await Scan(PyTorchFixtures.StateDict("resnet50_weights"));

        RootFacts(report)["pytorch.root"].Should().Be("resnet50_weights");
    }

    [Fact]
    public async Task Analyze_TorchScript_ReportsCodeFiles()
    {
        var report = await Scan(PyTorchFixtures.TorchScript());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == PyTorchAnalyzer.TorchScriptCode).Which;
        finding.Message.Should().Contain("archive/code/__torch__.py").And.NotContain("debug_pkl");
        finding.Property("files").Should().Be("1");
        RootFacts(report)["pytorch.format"].Should().Be("torchscript");
        RootFacts(report)["pytorch.torchscript"].Should().Be("yes");
    }

    [Fact]
    public async Task Analyze_MobileBytecode_Fact()
    {
        var bytes = new ZipBuilder().Add("m/bytecode.pkl", PyTorchFixtures.EmptyDictPickle).Add("m/constants.pkl", PyTorchFixtures.EmptyDictPickle)
            .Add("m/version", "5").Build();

        var report = await Scan(bytes);

        RootFacts(report)["pytorch.mobile"].Should().Be("yes");
    }

    [Fact]
    public async Task Analyze_TwoRoots_ReportsAmbiguityNamingLoaderChoice()
    {
        var report = await Scan(FixtureCatalog.Get("torch/two-roots").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == PyTorchAnalyzer.AmbiguousLayout).Which.Message.Should().Contain("torch.load reads 'archive/data.pkl'");
    }

    [Fact]
    public async Task Analyze_SecondDataPklDeeper_ReportsAmbiguity()
    {
        var bytes = new ZipBuilder().Add("archive/data.pkl", PyTorchFixtures.EmptyDictPickle).Add("archive/x/data.pkl", PyTorchFixtures.EmptyDictPickle)
            .Add("archive/version", "3\n").Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == PyTorchAnalyzer.AmbiguousLayout);
    }

    [Fact]
    public async Task Analyze_PlainZip_NotPyTorch()
    {
        var report = await Scan(ZipFixtures.Plain());

        report.Artifacts.Single(a => a.Path == "model.pt").Formats.Should().NotContain("pytorch");
    }

    [Fact]
    public async Task Analyze_LegacyPickleFormat_Recognised()
    {
        var report = await Scan(PyTorchFixtures.LegacyPrefix);

        RootFacts(report)["pytorch.format"].Should().Be("pytorch-legacy");
        RootFacts(report)["pytorch.legacy-protocol"].Should().Be("1001");
    }

    [Fact]
    public async Task Analyze_PickleWithAppendedTorchZip_NotTakenForZipCheckpoint()
    {
        // torch.load decides by the first bytes: this file loads as a pickle, whatever the appended zip says.
        byte[] bytes = [.. PyTorchFixtures.EmptyDictPickle, .. PyTorchFixtures.StateDict("archive")];

        var report = await Scan(bytes);

        report.Artifacts.Single(a => a.Path == "model.pt").Formats.Should().Contain("zip").And.NotContain("pytorch");
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-ZIP-008");
    }
}
