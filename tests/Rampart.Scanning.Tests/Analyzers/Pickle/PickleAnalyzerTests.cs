using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Core.Reporting;
using Rampart.Scanning.Analyzers.Pickle;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

public sealed class PickleAnalyzerTests
{
    private static Verdict VerdictOf(ScanReport report) => report.Artifacts[0].Verdict;

    private static string[] RuleIds(ScanReport report) => [.. report.Findings.Select(f => f.RuleId)];

    [Fact]
    public async Task Scan_TorchStateDict_IsCleanWithFacts()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.TorchStateDict("weight", "bias"), "data.pkl");

        report.Findings.Should().BeEmpty();
        VerdictOf(report).Should().Be(Verdict.Clean);
        var facts = report.Artifacts[0].Facts;
        facts["pickle.globals"].Should().Be("collections.OrderedDict torch.FloatStorage torch._utils._rebuild_tensor_v2");
        facts["pickle.protocols"].Should().Be("2");
        facts["pickle.pickles"].Should().Be("1");
        facts["pickle.persistentIds"].Should().Be("2");
    }

    [Fact]
    public async Task Scan_NumpyArrayPickle_IsClean()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleFixtures.NumpyArrayPickle(), "array.pkl");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Formats.Should().Contain("pickle");
    }

    [Fact]
    public async Task Scan_OsSystemPayload_IsMaliciousWithNameOpcodeAndOffset()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"), "model.pkl");

        VerdictOf(report).Should().Be(Verdict.Malicious);
        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be("RAMP-PKL-101");
        finding.Severity.Should().Be(Severity.Critical);
        finding.Property("name").Should().Be("os.system");
        finding.Property("opcode").Should().Be("GLOBAL");
        finding.Location.Offset.Should().Be(2);
    }

    [Theory]
    [InlineData("posix", "system", "RAMP-PKL-101")]
    [InlineData("subprocess", "Popen", "RAMP-PKL-101")]
    [InlineData("builtins", "eval", "RAMP-PKL-102")]
    [InlineData("builtins", "__import__", "RAMP-PKL-102")]
    [InlineData("types", "CodeType", "RAMP-PKL-103")]
    [InlineData("dill._dill", "_create_function", "RAMP-PKL-103")]
    [InlineData("builtins", "getattr", "RAMP-PKL-104")]
    [InlineData("operator", "attrgetter", "RAMP-PKL-104")]
    [InlineData("importlib", "import_module", "RAMP-PKL-104")]
    [InlineData("pdb", "run", "RAMP-PKL-105")]
    [InlineData("timeit", "timeit", "RAMP-PKL-105")]
    [InlineData("builtins", "open", "RAMP-PKL-106")]
    [InlineData("shutil", "rmtree", "RAMP-PKL-106")]
    [InlineData("socket", "create_connection", "RAMP-PKL-107")]
    [InlineData("webbrowser", "open", "RAMP-PKL-107")]
    [InlineData("ctypes", "CDLL", "RAMP-PKL-108")]
    [InlineData("pickle", "loads", "RAMP-PKL-109")]
    [InlineData("torch.storage", "_load_from_bytes", "RAMP-PKL-109")]
    [InlineData("functools", "partial", "RAMP-PKL-110")]
    [InlineData("sys", "modules", "RAMP-PKL-111")]
    [InlineData("mylib.payloads", "Backdoor", "RAMP-PKL-001")]
    public async Task Scan_DangerousGlobal_RaisesTheCategoryRule(string module, string name, string ruleId)
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle(module, name, "x"), "model.pkl");

        VerdictOf(report).Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle(f => f.RuleId == ruleId && f.Property("name") == module + "." + name);
    }

    [Fact]
    public async Task Scan_Python2BuiltinEval_IsReportedUnderItsPython3Name()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle("__builtin__", "eval", "1"), "model.pkl");

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be("RAMP-PKL-102");
        finding.Property("name").Should().Be("builtins.eval");
        finding.Message.Should().Contain("written as __builtin__.eval");
    }

    [Fact]
    public async Task Scan_DottedNameWalkingOutOfAnAllowedModule_IsTheInnerCallable()
    {
        var bytes = new PickleBuilder().Proto(4).StackGlobal("torch.nn.modules.module", "os.system").ShortBinUnicode("id").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pt");

        VerdictOf(report).Should().Be(Verdict.Malicious);
        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_DottedNameUnderAReviewedModule_IsNotReviewedButUnknown()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("pickle/dotted-unknown").Build(), "model.pt");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-001");
    }

    [Fact]
    public async Task Scan_DunderAttributeOfAnAllowedClass_IsUnknown()
    {
        var bytes = new PickleBuilder().Proto(4).StackGlobal("sklearn.base", "__builtins__").Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-001");
    }

    [Fact]
    public async Task Scan_FullwidthModuleName_IsNormalisedBeforeMatching()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle("\uFF4F\uFF53", "system", "id"), "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_PartialOfSystem_ReportsTheWrapperAndTheInnerCallable()
    {
        var bytes = new PickleBuilder().Proto(2).Global("functools", "partial").Global("os", "system").BinUnicode("id").Tuple2().Reduce()
            .EmptyTuple().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        RuleIds(report).Should().BeEquivalentTo("RAMP-PKL-110", "RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_SklearnClasses_NeedReviewOncePerDistinctClass()
    {
        var bytes = new PickleBuilder().Proto(4).Mark()
            .StackGlobal("sklearn.pipeline", "Pipeline").EmptyTuple().NewObj()
            .StackGlobal("sklearn.linear_model._logistic", "LogisticRegression").EmptyTuple().NewObj()
            .StackGlobal("sklearn.linear_model._logistic", "LogisticRegression").EmptyTuple().NewObj()
            .List().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        VerdictOf(report).Should().Be(Verdict.NeedsReview);
        report.Findings.Should().OnlyContain(f => f.RuleId == "RAMP-PKL-002" && f.Severity == Severity.Low);
        report.Findings.Select(f => f.Property("name")).Should().BeEquivalentTo("sklearn.pipeline.Pipeline", "sklearn.linear_model._logistic.LogisticRegression");
        report.Findings[0].Message.Should().Contain("sklearn.pipeline.Pipeline");
    }

    [Fact]
    public async Task Scan_TorchScriptData_NeedsReviewForTheArchiveClassesOnly()
    {
        var bytes = new PickleBuilder().Proto(2).Mark()
            .Global("__torch__", "M").EmptyTuple().NewObj()
            .Global("__torch__.torch.nn.modules.linear", "Linear").EmptyTuple().NewObj()
            .Global("torch.jit._pickle", "build_intlist").Mark().BinInt1(1).List().Tuple1().Reduce()
            .Tuple().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "data.pkl");

        report.Findings.Should().OnlyContain(f => f.RuleId == "RAMP-PKL-002");
        report.Findings.Select(f => f.Property("name")).Should().BeEquivalentTo("__torch__.M", "__torch__.torch.nn.modules.linear.Linear");
    }

    [Fact]
    public async Task Scan_TorchScriptMangledClassCopy_NeedsReviewNotMalicious()
    {
        // torch.jit.script names a second compiled copy of a class "...___torch_mangle_<N>.Linear".
        var bytes = new PickleBuilder().Proto(2)
            .Global("__torch__.torch.nn.modules.linear.___torch_mangle_0", "Linear").EmptyTuple().NewObj()
            .Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "data.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-002");
    }

    [Theory]
    [InlineData("__torch__.torch.nn.___torch_mangle_", "Linear")]
    [InlineData("__torch__.torch.nn.___torch_mangle_1x", "Linear")]
    [InlineData("torch.nn.___torch_mangle_0", "Linear")]
    public async Task Scan_MangleLookalikesOutsideTorchScript_AreNotExcused(string module, string name)
    {
        var bytes = new PickleBuilder().Proto(2).Global(module, name).Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "data.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-001");
    }

    [Fact]
    public async Task Scan_TorchScriptRootDoesNotExcuseOtherDunders()
    {
        var bytes = new PickleBuilder().Proto(2).Global("__torch__.__builtins__", "M").Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "data.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-001");
    }

    [Fact]
    public async Task Scan_DefaultdictWithADataFactory_IsClean()
    {
        var bytes = new PickleBuilder().Proto(2).Global("collections", "defaultdict").Global("builtins", "list").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_DefaultdictWithADangerousFactory_ReportsTheFactory()
    {
        var bytes = new PickleBuilder().Proto(2).Global("collections", "defaultdict").Global("builtins", "eval").Tuple1().Reduce().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().ContainSingle().Which.Property("name").Should().Be("builtins.eval");
    }

    [Fact]
    public async Task Scan_OldJoblibSideFileWrapper_NeedsReview()
    {
        var bytes = new PickleBuilder().Proto(2).Global("joblib.numpy_pickle", "NDArrayWrapper").EmptyTuple().NewObj().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "old.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-002");
    }

    [Fact]
    public async Task Scan_TypingEvaluatorUnderAReviewedModule_IsDenied()
    {
        var bytes = new PickleBuilder().Proto(4).StackGlobal("typing", "ForwardRef").Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-105");
    }

    [Fact]
    public async Task Scan_DenyRuleBeatsAReviewGlob()
    {
        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle("pandas", "read_pickle", "x.pkl"), "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-109");
    }

    [Fact]
    public async Task Scan_PolicyAllowedGlobals_MakeAnUnknownClassClean()
    {
        var policy = ScanPolicy.Default with { AllowedGlobals = ["mylib.models.*"] };
        var bytes = new PickleBuilder().Proto(4).StackGlobal("mylib.models", "Net").EmptyTuple().NewObj().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl", policy);

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_PolicyReviewGlobals_MakeAnUnknownClassNeedReview()
    {
        var policy = ScanPolicy.Default with { ReviewGlobals = ["mylib.models.Net"] };
        var bytes = new PickleBuilder().Proto(4).StackGlobal("mylib.models", "Net").EmptyTuple().NewObj().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl", policy);

        report.Findings.Should().ContainSingle().Which.Property("decidedBy").Should().Be("policy reviewGlobals");
    }

    [Fact]
    public async Task Scan_PolicyCannotAllowADeniedName()
    {
        var policy = ScanPolicy.Default with { AllowedGlobals = ["os.*"] };

        var report = await ScanHelper.ScanBytesAsync(PickleBuilder.CallPickle("os", "system", "id"), "model.pkl", policy);

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_SecondPickleCarriesThePayload_IsMalicious()
    {
        byte[] bytes = [.. PickleBuilder.TorchStateDict("w"), .. PickleBuilder.CallPickle("os", "system", "id")];

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.bin");

        VerdictOf(report).Should().Be(Verdict.Malicious);
        report.Artifacts[0].Facts["pickle.pickles"].Should().Be("2");
        report.Findings.Single().Location.Offset.Should().Be(PickleBuilder.TorchStateDict("w").Length + 2);
    }

    [Fact]
    public async Task Scan_LegacyTorchLayout_TrailingStorageBytesAreAFact()
    {
        var magic = new PickleBuilder().Proto(2).Long1(0x0a, 0x19, 0xfb, 0x20, 0x5f, 0x68, 0x6a, 0x6c, 0x2c, 0xe9, 0x1a).Stop().ToArray();
        var version = new PickleBuilder().Proto(2).BinInt2(1001).Stop().ToArray();
        var keys = new PickleBuilder().Proto(2).Mark().BinUnicode("0").List().Stop().ToArray();
        byte[] storage = [6, 0, 0, 0, 0, 0, 0, 0, .. new byte[24]];
        byte[] bytes = [.. magic, .. version, .. PickleBuilder.TorchStateDict("w"), .. keys, .. storage];

        var report = await ScanHelper.ScanBytesAsync(bytes, "legacy.pt");

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts[0].Facts;
        facts["pickle.pickles"].Should().Be("4");
        facts["pickle.trailingDataBytes"].Should().Be(storage.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Scan_TrailingBytesThatLookLikeAProto_AreStillTrailingData()
    {
        byte[] bytes = [.. PickleBuilder.TorchStateDict("w"), 0x80, 0x02, 0x00, 0x11, 0x22];

        var report = await ScanHelper.ScanBytesAsync(bytes, "weights.pt");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Facts.Should().ContainKey("pickle.trailingDataOffset");
    }

    [Fact]
    public async Task Scan_StreamBrokenAfterPayload_IsMaliciousAndCarriesTheParseError()
    {
        var bytes = new PickleBuilder().Proto(2).Call("os", "system", "id").Raw(0xff, 0xfe).ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        VerdictOf(report).Should().Be(Verdict.Malicious);
        RuleIds(report).Should().BeEquivalentTo("RAMP-PKL-101", "RAMP-GEN-001");
        var error = report.Findings.Single(f => f.RuleId == "RAMP-GEN-001");
        error.Location.Offset.Should().Be(bytes.Length - 2);
        error.Message.Should().Contain("0xff");
    }

    [Fact]
    public async Task Scan_TruncatedFixture_IsInconclusive()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("pickle/truncated").Build(), "truncated.pkl");

        VerdictOf(report).Should().Be(Verdict.Inconclusive);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001");
    }

    [Fact]
    public async Task Scan_ExtensionCode_IsInconclusiveWithItsOwnRule()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("pickle/ext-code").Build(), "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-003");
        VerdictOf(report).Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_ComputedStackGlobal_IsMalicious()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("pickle/computed-global").Build(), "model.pkl");

        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-004");
        VerdictOf(report).Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Scan_MorePicklesThanTheLimit_ReportsTheLimit()
    {
        var one = new PickleBuilder().Proto(2).None().Stop().ToArray();
        byte[] bytes = [.. one, .. one, .. one];
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxPicklesPerStream = 2 } };

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl", policy);

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-002" && f.Property("limit") == "max-pickles-per-stream");
    }

    [Fact]
    public async Task Scan_OutOfBandBuffers_AreAFact()
    {
        var bytes = new PickleBuilder().Proto(5).NextBuffer().ReadOnlyBuffer().Stop().ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "buffers.pkl");

        report.Findings.Should().BeEmpty();
        report.Artifacts[0].Facts["pickle.outOfBandBuffers"].Should().Be("1");
    }

    [Fact]
    public async Task Scan_Protocol0PickleWithoutPickleName_IsStillRecognised()
    {
        var bytes = "cos\nsystem\n(S'id'\ntR."u8.ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "notes.txt");

        report.Artifacts[0].Formats.Should().Contain("pickle");
        report.Findings.Should().ContainSingle().Which.RuleId.Should().Be("RAMP-PKL-101");
    }

    [Fact]
    public async Task Scan_RawTensorBytesStartingLikeAProto_AreNotAPickle()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0x80;
        bytes[1] = 0x02;
        bytes[2] = 0x00;

        var report = await ScanHelper.ScanBytesAsync(bytes, "0");

        report.Artifacts[0].Formats.Should().NotContain("pickle");
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Scan_BrokenPickleNamedLikeOne_IsInconclusive()
    {
        var bytes = new PickleBuilder().Proto(2).Raw(0x00, 0x01).ToArray();

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.pkl");

        report.Artifacts[0].Formats.Should().Contain("pickle");
        VerdictOf(report).Should().Be(Verdict.Inconclusive);
    }

    [Theory]
    [InlineData("README.md", "# A model\n\nsome words\n")]
    [InlineData("config.json", "{\"a\": 1}")]
    [InlineData("train.py", "import os\nprint(os.getcwd())\n")]
    [InlineData("data.csv", "1,2,3\n4,5,6\n")]
    public async Task Scan_TextFiles_AreNotPickles(string name, string text)
    {
        var report = await ScanHelper.ScanBytesAsync(System.Text.Encoding.UTF8.GetBytes(text), name);

        report.Artifacts[0].Formats.Should().NotContain("pickle");
    }

    [Theory]
    [InlineData("byteorder", "little")]
    [InlineData("version", "3\n")]
    [InlineData(".format_version", "1")]
    [InlineData("serialization_id", "1234567890123456789")]
    public void CanAnalyze_SmallTorchArchiveMembers_AreNotPickles(string name, string text)
    {
        var artifact = Rampart.Scanning.Engine.ArtifactFactory.FromBytes("model.pt!/archive/" + name, "model.pt", 1, System.Text.Encoding.ASCII.GetBytes(text), name);

        new PickleAnalyzer().CanAnalyze(artifact).Should().BeFalse();
    }

    [Fact]
    public void CanAnalyze_ZipMagic_IsNotAPickleEvenWithAPickleName()
    {
        var artifact = Rampart.Scanning.Engine.ArtifactFactory.FromBytes("model.pt", null, 0, "PK\x03\x04rest-of-zip\n"u8.ToArray());

        new PickleAnalyzer().CanAnalyze(artifact).Should().BeFalse();
    }
}
