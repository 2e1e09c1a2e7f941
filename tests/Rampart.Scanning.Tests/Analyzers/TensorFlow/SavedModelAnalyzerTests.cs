using Rampart.Core;
using Rampart.Scanning.Analyzers.Onnx;
using Rampart.Scanning.Analyzers.TensorFlow;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.TensorFlow;

public sealed class SavedModelAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "saved_model.pb") => ScanHelper.ScanBytesAsync(bytes, name);

    [Fact]
    public async Task Analyze_BenignSavedModel_CleanWithFacts()
    {
        var report = await Scan(TensorFlowFixtures.Benign().Build());

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["savedmodel.tf_version"].Should().Be("2.15.0");
        facts["savedmodel.tags"].Should().Be("serve");
        facts["savedmodel.nodes"].Should().Be("11");
        facts["savedmodel.functions"].Should().Be("2");
        facts["savedmodel.ops"].Should().Be("10");
        facts["savedmodel.assets"].Should().Be("1");
    }

    [Fact]
    public void CanAnalyze_SavedModelAndOnnx_Distinguished()
    {
        var savedModel = ArtifactFactory.FromBytes("a", null, 0, TensorFlowFixtures.Benign().Build());
        var onnx = ArtifactFactory.FromBytes("b", null, 0, OnnxFixtures.Relu().Build());

        new SavedModelAnalyzer().CanAnalyze(savedModel).Should().BeTrue();
        new SavedModelAnalyzer().CanAnalyze(onnx).Should().BeFalse();
        new OnnxAnalyzer().CanAnalyze(savedModel).Should().BeFalse();
    }

    [Fact]
    public async Task Analyze_EagerPyFuncInFunction_ReportedWithTokenAndFunction()
    {
        var report = await Scan(FixtureCatalog.Get("tf/pyfunc").Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(SavedModelAnalyzer.PythonOp);
        finding.Message.Should().Contain("pyfunc_3").And.Contain("function __inference_call_77").And.Contain("'PyFunc'");
        finding.Property("op").Should().Be("EagerPyFunc");
    }

    [Fact]
    public async Task Analyze_WriteFile_MaliciousWithConstantPath()
    {
        var report = await Scan(FixtureCatalog.Get("tf/write-file").Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(SavedModelAnalyzer.FileWriteOp);
        finding.Verdict.Should().Be(Verdict.Malicious);
        finding.Message.Should().Contain("'out.txt'");
    }

    [Fact]
    public async Task Analyze_ReadFileComputedPath_NeedsReview()
    {
        var report = await Scan(FixtureCatalog.Get("tf/read-file-computed").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == SavedModelAnalyzer.FileReadOp).Which.Message.Should().Contain("computed at run time");
    }

    [Theory]
    [InlineData("tf/read-absolute", "/etc/shadow", "absolute")]
    [InlineData("tf/restore-traversal", "../../../home/user/.ssh/ckpt", "'..'")]
    public async Task Analyze_ConstantPathOutsideModel_Malicious(string fixture, string path, string why)
    {
        var report = await Scan(FixtureCatalog.Get(fixture).Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(SavedModelAnalyzer.PathOutsideModel);
        finding.Property("path").Should().Be(path);
        finding.Message.Should().Contain(why);
    }

    [Fact]
    public async Task Analyze_PathBuiltThroughStringJoin_TracedToConstant()
    {
        var bytes = TensorFlowFixtures.Benign()
            .Const("dir", "s3://bucket/exfil").Const("file", "x")
            .Node("join", "StringJoin", ["dir", "file:0", "^init"])
            .Node("save", "SaveV2", ["join", "names", "slices"]).Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == SavedModelAnalyzer.PathOutsideModel).Which.Message.Should().Contain("remote s3:// URL");
    }

    [Fact]
    public async Task Analyze_ControlInputToAbsoluteConst_NotFollowed()
    {
        var bytes = TensorFlowFixtures.Benign().Const("abs", "/etc/passwd").Node("save", "SaveV2", ["saver_filename", "^abs"]).Build();

        var report = await Scan(bytes);

        report.Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData("DebugIdentity", "debug_urls", "grpc://collector:6064", SavedModelAnalyzer.NetworkOp)]
    [InlineData("DebugNanCount", "debug_urls", "file:///tmp/dump", SavedModelAnalyzer.PathOutsideModel)]
    [InlineData("DebugNanCount", "debug_urls", "file://dump", SavedModelAnalyzer.FileWriteOp)]
    [InlineData("DebugIdentityV2", "dump_root", "tfdbg_dump", SavedModelAnalyzer.FileWriteOp)]
    [InlineData("PrintV2", "output_stream", "file://log.txt", SavedModelAnalyzer.FileWriteOp)]
    [InlineData("ImmutableConst", "memory_region_name", "weights.mmap", SavedModelAnalyzer.FileReadOp)]
    [InlineData("ImmutableConst", "memory_region_name", "/dev/mem", SavedModelAnalyzer.PathOutsideModel)]
    public async Task Analyze_PathInAttribute_Classified(string op, string attr, string value, string rule)
    {
        var bytes = TensorFlowFixtures.Benign().Node("n", op, ["x"], attr == "debug_urls" ? SavedModelBuilder.StringListAttr(attr, value) : SavedModelBuilder.StringAttr(attr, value)).Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be(rule);
    }

    [Fact]
    public async Task Analyze_PrintV2ToStderr_Clean()
    {
        var report = await Scan(TensorFlowFixtures.Benign().Node("p", "PrintV2", ["x"], SavedModelBuilder.StringAttr("output_stream", "stderr")).Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_AssetOutsideModel_Reported()
    {
        var report = await Scan(TensorFlowFixtures.Benign().Asset("../../etc/hosts").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == SavedModelAnalyzer.PathOutsideModel).Which.Message.Should().Contain("asset file");
    }

    [Fact]
    public async Task Analyze_UserObjectMetadata_ExposedAsChild()
    {
        const string Json = "{\"class_name\": \"Sequential\"}";
        var report = await Scan(TensorFlowFixtures.Benign().UserObject("_tf_keras_sequential", Json).Build());

        report.Artifacts.Should().Contain(a => a.Path == "saved_model.pb#user_object_metadata[1]" && a.Length == Json.Length);
        report.Artifacts[0].Facts["savedmodel.user_objects"].Should().Be("_generic_user_object, _tf_keras_sequential");
    }

    [Fact]
    public async Task Analyze_ManyPyFuncs_CappedWithSummary()
    {
        var builder = TensorFlowFixtures.Benign();
        for (var i = 0; i < 30; i++)
        {
            builder.Node($"py{i}", "PyFunc", ["x"], SavedModelBuilder.StringAttr("token", $"pyfunc_{i}"));
        }

        var report = await Scan(builder.Build());

        report.Findings.Should().HaveCount(Rampart.Scanning.Analyzers.CappedFindings.MaxPerRule + 1).And.Contain(f => f.Message.StartsWith("10 more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_Truncated_Inconclusive()
    {
        var bytes = TensorFlowFixtures.Benign().Build();

        var report = await Scan(bytes[..^5]);

        report.Artifacts[0].Verdict.Should().Be(Verdict.Inconclusive);
    }
}

public sealed class FrozenGraphTests
{
    [Fact]
    public async Task Analyze_FrozenGraphDef_RecognisedAndClean()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("tf/frozen-graph").Build(), "frozen_inference_graph.pb");

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["savedmodel.format"].Should().Be("GraphDef");
        facts["savedmodel.nodes"].Should().Be("3");
    }

    [Fact]
    public async Task Analyze_FrozenGraphWithPyFunc_Reported()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("tf/frozen-graph-pyfunc").Build(), "frozen_inference_graph.pb");

        report.Findings.Should().ContainSingle(f => f.RuleId == SavedModelAnalyzer.PythonOp).Which.Message.Should().Contain("node 'py' of the graph");
    }

    [Theory]
    [InlineData("tf/keras-metadata")]
    [InlineData("onnx/relu")]
    [InlineData("tf/fingerprint")]
    public void LooksLikeGraphDef_OtherProtobufs_False(string fixture)
    {
        SavedModelAnalyzer.LooksLikeGraphDef(FixtureCatalog.Get(fixture).Build()).Should().BeFalse();
    }
}
