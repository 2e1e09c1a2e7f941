using Rampart.Core;
using Rampart.Scanning.Analyzers.Onnx;
using Rampart.Scanning.IO;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Onnx;

public sealed class OnnxAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "model.onnx") => ScanHelper.ScanBytesAsync(bytes, name);

    [Fact]
    public async Task Analyze_TinyModel_FactsAndClean()
    {
        var report = await Scan(OnnxFixtures.Relu().Opset("ai.onnx.ml", 3).Metadata("author", "me").Build());

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["onnx.ir_version"].Should().Be("8");
        facts["onnx.opset"].Should().Be("17");
        facts["onnx.opsets"].Should().Be("ai.onnx:17, ai.onnx.ml:3");
        facts["onnx.producer"].Should().Be("rampart-testkit 1.0");
        facts["onnx.nodes"].Should().Be("1");
        facts["onnx.parameters"].Should().Be("6");
        facts["onnx.dtypes"].Should().Be("float");
        facts["onnx.metadata"].Should().Be("author");
    }

    [Fact]
    public void CanAnalyze_NotOnnx_False()
    {
        var analyzer = new OnnxAnalyzer();
        var savedModelLike = new ProtobufWriter().Number(1, 1).Message(2, m => m.Message(1, i => i.Text(1, "serve"))).ToArray();

        analyzer.CanAnalyze(Scanning.Engine.ArtifactFactory.FromBytes("x", null, 0, savedModelLike)).Should().BeFalse();
        analyzer.CanAnalyze(Scanning.Engine.ArtifactFactory.FromBytes("x", null, 0, "hello world"u8.ToArray())).Should().BeFalse();
        analyzer.CanAnalyze(Scanning.Engine.ArtifactFactory.FromBytes("x", null, 0, OnnxFixtures.Relu().Build())).Should().BeTrue();
    }

    [Theory]
    [InlineData("onnx/external-absolute", "absolute")]
    [InlineData("onnx/external-traversal", "'..'")]
    public async Task Analyze_EscapingExternalLocation_Malicious(string fixture, string why)
    {
        var report = await Scan(FixtureCatalog.Get(fixture).Build());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.ExternalDataEscape).Subject;
        finding.Message.Should().Contain(why).And.Contain("w_ext");
        finding.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_SymlinkedDataOutsideFolder_Malicious()
    {
        using var temp = new TempDirectory();
        var outside = Directory.CreateDirectory(temp.File("outside")).FullName;
        var model = Directory.CreateDirectory(temp.File("model")).FullName;
        File.WriteAllBytes(Path.Combine(outside, "secret"), new byte[16]);
        File.CreateSymbolicLink(Path.Combine(model, "weights.bin"), Path.Combine(outside, "secret"));
        var path = Path.Combine(model, "model.onnx");
        File.WriteAllBytes(path, OnnxFixtures.Relu().ExternalInitializer("w_ext", [4], "weights.bin", 0, 16).Build());

        var report = await ScanHelper.ScanPathsAsync([path]);

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.ExternalDataEscape).Which.Message.Should().Contain("symbolic link");
    }

    [Fact]
    public async Task Analyze_SymlinkedFolderInsideModelFolder_Clean()
    {
        using var temp = new TempDirectory();
        var model = Directory.CreateDirectory(temp.File("model")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(model, "data")).FullName;
        File.WriteAllBytes(Path.Combine(data, "w.bin"), new byte[16]);
        Directory.CreateSymbolicLink(Path.Combine(model, "alias"), data);
        var path = Path.Combine(model, "model.onnx");
        File.WriteAllBytes(path, OnnxFixtures.Relu().ExternalInitializer("w_ext", [4], "alias/w.bin").Build());

        var report = await ScanHelper.ScanPathsAsync([path]);

        report.Findings.Where(f => f.ArtifactPath.EndsWith("model.onnx", StringComparison.Ordinal)).Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_ExternalDataPresentAndShort_RangeReported()
    {
        using var temp = new TempDirectory();
        var ok = await ScanHelper.ScanPathsAsync([FixtureCatalog.Get("onnx/external-ok").Materialize(temp.Path)]);
        ok.Findings.Should().BeEmpty();

        using var temp2 = new TempDirectory();
        var report = await ScanHelper.ScanPathsAsync([FixtureCatalog.Get("onnx/external-short").Materialize(temp2.Path)]);

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.ExternalDataRange).Which.Message.Should().Contain("holds only 16");
    }

    [Fact]
    public async Task Scan_FolderWithExternalDataFile_ListsItAsTensorDataNotAnUnknownModel()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("model.onnx"), OnnxFixtures.Relu().ExternalInitializer("w_ext", [4], "weights.bin", 0, 16).Build());
        File.WriteAllBytes(temp.File("weights.bin"), new byte[16]);

        var report = await ScanHelper.ScanPathsAsync([temp.Path]);

        report.Findings.Should().NotContain(f => f.RuleId == Rampart.Scanning.Engine.RuleIds.UnrecognizedModelFile, "weights.bin is the model's raw tensor data");
        var data = report.Artifacts.Should().ContainSingle(a => a.Path.EndsWith("weights.bin", StringComparison.Ordinal)).Subject;
        data.Status.Should().Be(Core.Reporting.ArtifactStatus.Skipped);
        data.SkipReason.Should().StartWith("external tensor data of ").And.EndWith("model.onnx");
        report.ExitCode.Should().Be(ExitCodes.Clean);
    }

    [Fact]
    public async Task Scan_ExternalDataThatIsAPickle_IsStillJudgedAsAPickle()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("model.onnx"), OnnxFixtures.Relu().ExternalInitializer("w_ext", [4], "weights.bin").Build());
        File.WriteAllBytes(temp.File("weights.bin"), FixtureCatalog.Get("pickle/unknown-global").Build());

        var report = await ScanHelper.ScanPathsAsync([temp.Path]);

        report.Artifacts.Single(a => a.Path.EndsWith("weights.bin", StringComparison.Ordinal)).Verdict.Should().Be(Verdict.Malicious,
            "claiming a file as tensor data never stops it being read for what it is");
    }

    [Fact]
    public async Task Analyze_DeclaredLengthDiffersFromShape_TensorSize()
    {
        var report = await Scan(OnnxFixtures.Relu().ExternalInitializer("w_ext", [4], "weights.bin", 0, 100).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.TensorSize).Which.Message.Should().Contain("declares length 100");
    }

    [Fact]
    public async Task Analyze_InMemoryModelWithExternalData_NoMissingFinding()
    {
        // No folder to look in (the artifact is not a file on disk): only the location syntax is judged.
        var report = await Scan(FixtureCatalog.Get("onnx/external-missing").Build(), "not-on-disk-model.onnx");

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_CustomDomain_ReportedOnceWithNode()
    {
        var bytes = OnnxFixtures.Relu().Node("Backdoor", "bd_0", ["y"], ["z"], "com.example.ops").Node("Backdoor", "bd_1", ["z"], ["w"], "com.example.ops").Build();

        var report = await Scan(bytes);

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.CustomDomain).Subject;
        finding.Message.Should().Contain("2 node(s)").And.Contain("bd_0").And.Contain("com.example.ops");
        finding.Property("op").Should().Be("Backdoor");
    }

    [Theory]
    [InlineData("com.microsoft")]
    [InlineData("com.microsoft.nchwc")]
    [InlineData("ai.onnx.ml")]
    public async Task Analyze_KnownDomains_Clean(string domain)
    {
        var report = await Scan(OnnxFixtures.Relu().Node("Op", "n", ["y"], ["z"], domain).Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_LocalFunctionCall_NotCustomOpAndNamed()
    {
        var report = await Scan(FixtureCatalog.Get("onnx/local-function").Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["onnx.functions"].Should().Be("local.fn.MyRelu");
        report.Artifacts.Single().Facts["onnx.nodes"].Should().Be("3");
    }

    [Fact]
    public async Task Analyze_FunctionInStandardDomain_Shadowing()
    {
        var report = await Scan(FixtureCatalog.Get("onnx/function-shadow").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.FunctionShadowsStandard).Which.Property("function").Should().Be("Relu");
    }

    [Fact]
    public async Task Analyze_CustomOpInsideIfSubgraph_Found()
    {
        var bytes = OnnxFixtures.Relu().Node("If", "branch", ["c"], ["z"], attributes: n => n.Message(5, a => a
            .Text(1, "then_branch")
            .Number(20, 5)
            .Message(6, g => g.Message(1, inner => inner.Text(3, "deep").Text(4, "Evil").Text(7, "x.evil"))))).Build();

        var report = await Scan(bytes);

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.CustomDomain).Which.Message.Should().Contain("graph/branch.then_branch");
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, 25, "needs 24 bytes")]
    [InlineData(new long[] { 2, 3 }, 0, "holds 0")]
    [InlineData(new long[] { -1 }, 4, "negative")]
    [InlineData(new long[] { long.MaxValue, 4 }, 4, "overflows")]
    public async Task Analyze_BadRawData_TensorSize(long[] dims, int raw, string message)
    {
        var report = await Scan(new OnnxBuilder().Node("Relu", "r", ["x"], ["y"]).Initializer("t", dims, rawBytes: raw).Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.TensorSize).Which.Message.Should().Contain(message);
    }

    [Fact]
    public async Task Analyze_TypedDataCountMismatch_TensorSize()
    {
        var bytes = new OnnxBuilder().Node("Relu", "r", ["x"], ["y"]).Build();
        var withTensor = new ProtobufWriter().Raw(bytes).Message(7, g => g.Message(5, t => OnnxBuilder.Tensor(t, "typed", [3], 7).Packed(7, [1, 2]))).ToArray();

        var report = await Scan(withTensor);

        report.Findings.Should().ContainSingle(f => f.RuleId == OnnxAnalyzer.TensorSize).Which.Message.Should().Contain("needs 3 values but holds 2");
    }

    [Fact]
    public async Task Analyze_ManyBadTensors_CappedWithSummary()
    {
        var builder = new OnnxBuilder().Node("Relu", "r", ["x"], ["y"]);
        for (var i = 0; i < 25; i++)
        {
            builder.Initializer($"t{i}", [1], rawBytes: 8);
        }

        var report = await Scan(builder.Build());

        report.Findings.Where(f => f.RuleId == OnnxAnalyzer.TensorSize).Should().HaveCount(Rampart.Scanning.Analyzers.CappedFindings.MaxPerRule + 1)
            .And.Contain(f => f.Message.StartsWith("5 more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_TruncatedModel_Inconclusive()
    {
        var bytes = OnnxFixtures.Relu().Build();

        var report = await Scan(bytes[..^3]);

        report.Artifacts.Single().Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().Contain(f => f.RuleId == "RAMP-GEN-001");
    }

    [Fact]
    public async Task Analyze_ModelOver64KiB_RecognisedAndRead()
    {
        var report = await Scan(OnnxFixtures.Relu().Initializer("big", [100_000]).Build());

        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["onnx.parameters"].Should().Be("100006");
    }
}

public sealed class OnnxStreamingTests
{
    public static TheoryData<string> Models() => ["onnx/relu", "onnx/external-absolute", "onnx/custom-domain", "onnx/local-function", "onnx/raw-size-mismatch", "onnx/function-shadow"];

    [Theory]
    [MemberData(nameof(Models))]
    public void ParseStream_SmallBlocks_SameAsInMemory(string fixture)
    {
        var bytes = FixtureCatalog.Get(fixture).Build();
        var expected = OnnxModel.Parse(bytes);

        foreach (var threshold in new long[] { 0, 8, 1 << 20 })
        {
            var actual = OnnxModel.ParseStream(new MemoryStream(bytes), bytes.Length, threshold, 1 << 20, CancellationToken.None);

            Describe(actual).Should().Be(Describe(expected), $"block threshold {threshold}");
        }
    }

    [Fact]
    public void ParseStream_TypedAndRawData_CountedWithoutReading()
    {
        var graphOnly = new ProtobufWriter()
            .Number(1, 8)
            .Message(7, g => g
                .Message(1, n => n.Text(3, "r").Text(4, "Relu"))
                .Message(5, t => OnnxBuilder.Tensor(t, "packed", [3], 7).Packed(7, [1, 300, 70000]))
                .Message(5, t => OnnxBuilder.Tensor(t, "floats", [2], 1).Bytes(4, new byte[8]))
                .Message(5, t => OnnxBuilder.Tensor(t, "raw", [5], 1).Bytes(9, new byte[20])))
            .ToArray();

        var streamed = OnnxModel.ParseStream(new MemoryStream(graphOnly), graphOnly.Length, 0, 1 << 20, CancellationToken.None);

        Describe(streamed).Should().Be(Describe(OnnxModel.Parse(graphOnly)));
        streamed.Tensors.Select(t => (t.TypedCount, t.RawLength)).Should().Equal((3L, -1L), (2L, -1L), (0L, 20L));
    }

    [Fact]
    public void ParseStream_Truncated_Malformed()
    {
        var bytes = OnnxFixtures.Relu().Build();

        var act = () => OnnxModel.ParseStream(new MemoryStream(bytes[..^4]), bytes.Length, 0, 1 << 20, CancellationToken.None);

        act.Should().Throw<MalformedContentException>();
    }

    [Fact]
    public void ParseStream_FieldOverMessageLimit_LimitExceeded()
    {
        var bytes = OnnxFixtures.Relu().Metadata("big", new string('x', 5000)).Build();

        var act = () => OnnxModel.ParseStream(new MemoryStream(bytes), bytes.Length, 0, 1000, CancellationToken.None);

        act.Should().Throw<LimitExceededException>();
    }

    private static string Describe(OnnxModel m) => string.Join("|",
        m.IrVersion, m.ProducerName, m.HasGraph, m.Nodes, string.Join(",", m.Opsets.OrderBy(o => o.Key, StringComparer.Ordinal)),
        string.Join(",", m.Metadata), string.Join(",", m.Functions.Select(f => f.Domain + "." + f.Name)),
        string.Join(",", m.Ops.Values.OrderBy(o => o.FirstOffset).Select(o => $"{o.Domain}:{o.OpType}x{o.Count}@{o.FirstNode}")),
        string.Join(",", m.Tensors.Select(t => $"{t.Name}:{t.DataType}:[{string.Join(" ", t.Dims)}]:{t.RawLength}:{t.TypedCount}:{t.DataLocation}:{string.Join(" ", t.ExternalData)}:{t.IsParameter}")));
}
