using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Scanning.Analyzers.HuggingFace;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.HuggingFace;

public sealed class HuggingFaceFolderAnalyzerTests
{
    private static async Task<(ScanReport Report, ArtifactReport? Folder)> ScanRepo(HuggingFaceRepoBuilder builder)
    {
        using var temp = new TempDirectory();
        var folder = builder.Write(temp.Path);
        var report = await ScanHelper.ScanPathsAsync([folder]);
        return (report, report.Artifacts.FirstOrDefault(a => a.Formats.Contains("huggingface")));
    }

    private static async Task<ScanReport> ScanFixture(string id)
    {
        using var temp = new TempDirectory();
        return await ScanHelper.ScanPathsAsync([FixtureCatalog.Get(id).Materialize(temp.Path)]);
    }

    [Fact]
    public async Task Analyze_PlainRepository_FactsForTheBom()
    {
        var (report, folder) = await ScanRepo(new HuggingFaceRepoBuilder().Config().Safetensors().GitAttributes());

        folder.Should().NotBeNull();
        folder!.Facts["huggingface.architectures"].Should().Be("BertModel");
        folder.Facts["huggingface.model_type"].Should().Be("bert");
        folder.Facts["huggingface.torch_dtype"].Should().Be("float32");
        folder.Facts["huggingface.transformers_version"].Should().Be("4.40.0");
        folder.Facts["huggingface.lfs_patterns"].Should().Be("*.bin *.safetensors *.pt");
        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-HF", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_AutoMap_NamesEachFileAndWhetherPresent()
    {
        var (report, folder) = await ScanRepo(new HuggingFaceRepoBuilder()
            .Config("""{"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel", "AutoModelForCausalLM": "modeling_x.XForCausalLM"}""")
            .File("configuration_x.py", "class XConfig: pass\n"));

        var findings = report.Findings.Where(f => f.RuleId == HuggingFaceFolderAnalyzer.RemoteCode).ToList();
        findings.Should().HaveCount(2);
        findings.Should().ContainSingle(f => f.Property("name") == "configuration_x.py" && f.Property("present") == "yes");
        var modeling = findings.Single(f => f.Property("name") == "modeling_x.py");
        modeling.Property("present").Should().Be("no");
        modeling.Message.Should().Contain("AutoModel, AutoModelForCausalLM").And.Contain("trust_remote_code=True");
        folder!.Facts["huggingface.remote_code_files"].Should().Be("configuration_x.py, modeling_x.py");
    }

    [Fact]
    public async Task Analyze_TokenizerAutoMapList_Reported()
    {
        var (report, _) = await ScanRepo(new HuggingFaceRepoBuilder().Config()
            .File("tokenizer_config.json", """{"auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", null]}}"""));

        report.Findings.Should().ContainSingle(f => f.RuleId == HuggingFaceFolderAnalyzer.RemoteCode && f.Property("name") == "tokenization_x.py"
            && f.Message.StartsWith("tokenizer_config.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_CodeFromOtherRepository_Reported()
    {
        var report = await ScanFixture("hf/remote-code-other-repo");

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == HuggingFaceFolderAnalyzer.CodeFromOtherRepository).Subject;
        finding.Property("repository").Should().Be("someone/shared-code");
        finding.Message.Should().Contain("modeling_shared.py");
    }

    [Fact]
    public async Task Analyze_PickleBinBesideSafetensors_Mixed()
    {
        var report = await ScanFixture("hf/mixed-weights");

        report.Findings.Should().ContainSingle(f => f.RuleId == HuggingFaceFolderAnalyzer.MixedWeights && f.Property("name") == "pytorch_model.bin");
    }

    [Theory]
    [InlineData("hf/bin-only")]
    [InlineData("hf/stray-named-bin")]
    public async Task Analyze_NoMixture_NotReported(string fixture)
    {
        var report = await ScanFixture(fixture);

        report.Findings.Should().NotContain(f => f.RuleId == HuggingFaceFolderAnalyzer.MixedWeights);
    }

    [Fact]
    public async Task Analyze_LfsPointerInRepository_FactAndFileFinding()
    {
        var (report, folder) = await ScanRepo(new HuggingFaceRepoBuilder().Config().GitAttributes().File("model.safetensors", HuggingFaceRepoBuilder.LfsPointer()));

        folder!.Facts["huggingface.unresolved_lfs"].Should().Be("model.safetensors");
        report.Findings.Should().ContainSingle(f => f.RuleId == LfsPointerAnalyzer.UnresolvedPointer && f.ArtifactPath.EndsWith("model.safetensors", StringComparison.Ordinal));
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Analyze_FolderWithUnrelatedConfigJson_NotAHubRepository()
    {
        var (report, folder) = await ScanRepo(new HuggingFaceRepoBuilder().File("config.json", """{"port": 8080}"""));

        folder.Should().BeNull();
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_BrokenTokenizerConfig_Inconclusive()
    {
        var (report, _) = await ScanRepo(new HuggingFaceRepoBuilder().Config().File("tokenizer_config.json", "{\"auto_map\": "));

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001" && f.Message.Contains("tokenizer_config.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_HugeConfig_LimitNotCrash()
    {
        var (report, _) = await ScanRepo(new HuggingFaceRepoBuilder().File("config.json", new byte[HuggingFaceFolderAnalyzer.MaxConfigBytes + 1]));

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-002");
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x7d }, true)]
    [InlineData(new byte[] { 0x80, 0x05, 0x95 }, true)]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4 }, true)]
    [InlineData(new byte[] { 0x80, 0x09 }, false)]
    [InlineData(new byte[] { (byte)'h', (byte)'i' }, false)]
    public void IsPickleBased_Sniffs(byte[] head, bool expected) =>
        HuggingFaceFolderAnalyzer.IsPickleBased(head).Should().Be(expected);

    [Fact]
    public void IsSafetensors_HeaderLengthMustFit()
    {
        var bytes = HuggingFaceRepoBuilder.SafetensorsBytes();

        HuggingFaceFolderAnalyzer.IsSafetensors(bytes, bytes.Length).Should().BeTrue();
        HuggingFaceFolderAnalyzer.IsSafetensors(bytes, 20).Should().BeFalse();
    }
}
