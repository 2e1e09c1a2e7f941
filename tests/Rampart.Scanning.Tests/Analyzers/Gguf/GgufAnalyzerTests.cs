using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Scanning.Analyzers.Gguf;
using Rampart.Scanning.Analyzers.Gguf.Jinja;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Gguf;

public sealed class GgufAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "model.gguf") => ScanHelper.ScanBytesAsync(bytes, name);

    [Theory]
    [InlineData(1u, false)]
    [InlineData(2u, false)]
    [InlineData(3u, false)]
    [InlineData(3u, true)]
    [InlineData(2u, true)]
    public async Task Analyze_ValidModel_CleanWithFacts(uint version, bool bigEndian)
    {
        var report = await Scan(GgufFixtures.Model().Version(version).BigEndian(bigEndian).Build());

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts.Single().Facts;
        facts["gguf.version"].Should().Be(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        facts["gguf.tensors"].Should().Be("2");
        facts["gguf.parameters"].Should().Be("520");
        facts["gguf.architecture"].Should().Be("llama");
        facts["gguf.name"].Should().Be("Tiny Llama");
        facts["gguf.quantization"].Should().Be("MOSTLY_Q4_K_M");
        facts["gguf.context_length"].Should().Be("4096");
        facts["gguf.dtypes"].Should().Be("F32,Q4_K");
        facts["gguf.metadata.general.architecture"].Should().Be("llama");
        facts["gguf.chat_templates"].Should().Be("1");
        facts.ContainsKey("gguf.byte_order").Should().Be(bigEndian);
    }

    [Fact]
    public async Task Analyze_AllValueTypesAndNestedArrays_Parsed()
    {
        var nested = new GgufBuilder.TypedArray(GgufBuilder.ValueType.Array,
        [
            new GgufBuilder.TypedArray(GgufBuilder.ValueType.Int16, [(short)1, (short)-2]),
            new GgufBuilder.TypedArray(GgufBuilder.ValueType.String, ["x"]),
        ]);
        var builder = new GgufBuilder().Llama()
            .Meta("t.u8", GgufBuilder.ValueType.UInt8, (byte)1).Meta("t.i8", GgufBuilder.ValueType.Int8, (sbyte)-1)
            .Meta("t.u16", GgufBuilder.ValueType.UInt16, (ushort)2).Meta("t.i16", GgufBuilder.ValueType.Int16, (short)-2)
            .Meta("t.i32", GgufBuilder.ValueType.Int32, -3).Meta("t.f32", GgufBuilder.ValueType.Float32, 1.5f)
            .Meta("t.bool", GgufBuilder.ValueType.Bool, true).Meta("t.u64", GgufBuilder.ValueType.UInt64, 5UL)
            .Meta("t.i64", GgufBuilder.ValueType.Int64, -5L).Meta("t.f64", GgufBuilder.ValueType.Float64, 2.5)
            .Meta("t.nested", GgufBuilder.ValueType.Array, nested)
            .Meta("t.bools", GgufBuilder.ValueType.Array, new GgufBuilder.TypedArray(GgufBuilder.ValueType.Bool, [true, false]))
            .F32("w", 4);

        var report = await Scan(builder.Build());

        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_LargeMetadataBeyondHead_ReadFromStream()
    {
        var tokens = Enumerable.Range(0, 20_000).Select(i => (object)("token_" + i)).ToList();
        var bytes = GgufFixtures.Model().Meta("tokenizer.ggml.merges", GgufBuilder.ValueType.Array, new GgufBuilder.TypedArray(GgufBuilder.ValueType.String, tokens)).Build();
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("big.gguf"), bytes);

        var report = await ScanHelper.ScanPathsAsync([dir.File("big.gguf")]);

        bytes.Length.Should().BeGreaterThan(Artifact.HeadSize + Artifact.TailSize);
        report.Findings.Should().BeEmpty();
        report.Artifacts.Single().Facts["gguf.tensors"].Should().Be("2");
    }

    [Fact]
    public async Task Analyze_TrailingPickle_HiddenDataChildMalicious()
    {
        var report = await Scan(FixtureCatalog.Get("gguf/trailing-pickle").Build());

        report.Findings.Should().Contain(f => f.RuleId == GgufAnalyzer.HiddenData);
        report.Findings.Should().Contain(f => f.ArtifactPath == "model.gguf#hidden-data" && f.Verdict == Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_GapBetweenTensors_HiddenData()
    {
        var bytes = new GgufBuilder().Llama().F32("a", 8).Tensor("b", [8], 0, 32, offset: 128).Build();

        (await Scan(bytes)).Findings.Should().ContainSingle(f => f.RuleId == GgufAnalyzer.HiddenData).Which.Properties!["bytes"].Should().Be("96");
    }

    [Fact]
    public async Task Analyze_DuplicateKeys_Reported()
    {
        (await Scan(FixtureCatalog.Get("gguf/duplicate-keys").Build())).Findings.Should().Contain(f => f.RuleId == GgufAnalyzer.DuplicateKeys);
    }

    [Theory]
    [InlineData("direct-dunder-chain", ChatTemplateCheck.InternalAttribute)]
    [InlineData("attr-built-from-pieces", ChatTemplateCheck.BuiltName)]
    [InlineData("macro-indirection", ChatTemplateCheck.BuiltName)]
    [InlineData("set-variable-holds-name", ChatTemplateCheck.BuiltName)]
    public async Task Analyze_HostileTemplate_MaliciousWithPosition(string variant, string rule)
    {
        var report = await Scan(GgufFixtures.WithTemplate(ChatTemplates.Hostile("/tmp/m")[variant]));

        report.Verdict.Should().Be(Verdict.Malicious);
        var finding = report.Findings.First(f => f.RuleId == rule);
        finding.Location.Line.Should().Be(1);
        finding.Location.Detail.Should().Be("tokenizer.chat_template");
    }

    [Fact]
    public async Task Analyze_NamedTemplate_Checked()
    {
        var bytes = GgufFixtures.Model().ChatTemplate("{{ x.__class__ }}", "tool_use").Build();

        var report = await Scan(bytes);

        report.Findings.Should().Contain(f => f.RuleId == ChatTemplateCheck.InternalAttribute && f.Location.Detail == "tokenizer.chat_template.tool_use");
    }

    [Fact]
    public async Task Analyze_InvalidTemplate_InconclusiveWithLineAndColumn()
    {
        var report = await Scan(GgufFixtures.WithTemplate("{% for m in messages %}\n{{ m['content'] }"));

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == RuleIds.ParseError).Subject;
        finding.Location.Line.Should().Be(2);
        finding.Message.Should().Contain("line 2");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(20)]
    [InlineData(100)]
    public async Task Analyze_Truncated_Inconclusive(int keep)
    {
        var bytes = GgufFixtures.Model().Build();

        var report = await Scan(bytes[..(keep == 0 ? 8 : keep)]);

        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Analyze_TensorPastEnd_Inconclusive()
    {
        var bytes = new GgufBuilder().Llama().Tensor("a", [1024], 0, 4096).HeaderOnly().Build();

        (await Scan([.. bytes, .. new byte[64]])).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("past the end"));
    }

    [Theory]
    [InlineData(99u, "unknown ggml type")]
    public async Task Analyze_UnknownTensorType_Inconclusive(uint type, string reason)
    {
        var bytes = new GgufBuilder().Llama().Tensor("a", [4], type, 16).Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains(reason));
    }

    [Fact]
    public async Task Analyze_MisalignedOffset_Inconclusive()
    {
        var bytes = new GgufBuilder().Llama().F32("a", 8).Tensor("b", [4], 0, 16, offset: 36).Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("alignment"));
    }

    [Fact]
    public async Task Analyze_UnsupportedVersion_Inconclusive()
    {
        var bytes = GgufFixtures.Model().Version(4).Build();

        (await Scan(bytes)).Findings.Should().Contain(f => f.RuleId == RuleIds.ParseError && f.Message.Contains("version 4"));
    }

    [Fact]
    public async Task Analyze_HugeDeclaredArray_LimitOrInconclusiveWithoutAllocating()
    {
        byte[] bytes = [.. "GGUF"u8.ToArray(), 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
            1, 0, 0, 0, 0, 0, 0, 0, (byte)'k', 9, 0, 0, 0, 8, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0];

        var report = await Scan(bytes);

        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Analyze_HeaderAbovePolicyLimit_LimitReached()
    {
        var tokens = Enumerable.Range(0, 20_000).Select(i => (object)("token_" + i)).ToList();
        var bytes = GgufFixtures.Model().Meta("tokenizer.ggml.merges", GgufBuilder.ValueType.Array, new GgufBuilder.TypedArray(GgufBuilder.ValueType.String, tokens)).Build();
        var policy = ScanPolicy.Default with { Limits = ScanLimits.Default with { MaxHeaderBytes = 100_000 } };
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("big.gguf"), bytes);

        var report = await ScanHelper.ScanPathsAsync([dir.File("big.gguf")], policy);

        report.Findings.Should().Contain(f => f.RuleId == RuleIds.LimitReached);
    }
}
