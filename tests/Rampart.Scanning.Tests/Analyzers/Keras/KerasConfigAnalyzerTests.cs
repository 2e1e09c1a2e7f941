using System.Text;
using Rampart.Core;
using Rampart.Scanning.Analyzers.Keras;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Keras;

public sealed class KerasConfigAnalyzerTests
{
    private static Task<Core.Reporting.ScanReport> Scan(byte[] bytes, string name = "config.json") => ScanHelper.ScanBytesAsync(bytes, name);

    [Fact]
    public async Task Analyze_PlainDenseModel_CleanWithFacts()
    {
        var report = await Scan(new KerasConfigBuilder().Dense("a").Dense("b").Build());

        report.Findings.Should().BeEmpty();
        var artifact = report.Artifacts.Single();
        artifact.Formats.Should().Contain("keras-config");
        artifact.Facts["keras-config.class_name"].Should().Be("Functional");
        artifact.Facts["keras-config.version"].Should().Be("2.12.0");
        artifact.Facts["keras-config.backend"].Should().Be("tensorflow");
        artifact.Facts["keras-config.layers"].Should().Be("2");
        artifact.Verdict.Should().Be(Verdict.Clean);
    }

    [Fact]
    public async Task Analyze_BenignLambda_NeedsReviewWithNames()
    {
        var report = await Scan(new KerasConfigBuilder().Lambda(KerasConfigBuilder.DoubleLambdaCode).Build());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.SerializedFunction).Subject;
        finding.Message.Should().Contain("names: x");
        finding.Location.Detail.Should().Be("$.config.layers[0].config.function");
        report.Findings.Should().NotContain(f => f.RuleId == KerasConfigAnalyzer.DangerousBytecode);
        report.Verdict.Should().Be(Verdict.NeedsReview);
    }

    [Fact]
    public async Task Analyze_MarkerLambda_MaliciousNamingOsSystem()
    {
        var report = await Scan(new KerasConfigBuilder().Lambda(KerasConfigBuilder.MarkerLambdaCode).Build());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.DangerousBytecode).Subject;
        finding.Message.Should().Contain("os").And.Contain("__import__").And.Contain("system").And.Contain("touch /tmp/rampart-marker");
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Analyze_LambdaNestedInWrappersAndSequential_Found(bool keras3)
    {
        var builder = new KerasConfigBuilder();
        if (keras3)
        {
            builder.Keras3();
        }

        var report = await Scan(builder.Dense().NestedLambda(KerasConfigBuilder.MarkerLambdaCode).Build());

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.DangerousBytecode).Subject;
        finding.Location.Detail.Should().StartWith("$.config.layers[1].config.layer.config.layers[1].config.layer");
        report.Artifacts.Single().Facts["keras-config.lambda_layers"].Should().Be("1");
    }

    [Fact]
    public async Task Analyze_CustomObjectKeras3_Reported()
    {
        var report = await Scan(FixtureCatalog.Get("keras/custom-object").Build());

        var finding = report.Findings.Should().ContainSingle().Subject;
        finding.RuleId.Should().Be(KerasConfigAnalyzer.CustomObject);
        finding.Property("object").Should().Be("my_package.layers.Attention");
        report.Artifacts.Single().Facts["keras-config.custom_objects"].Should().Be("my_package.layers.Attention");
    }

    [Fact]
    public async Task Analyze_Keras2RegisteredCustomClass_Reported()
    {
        var report = await Scan(new KerasConfigBuilder().CustomLayer("Custom", "Gate").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.CustomObject && f.Property("object") == "Custom>Gate");
    }

    [Theory]
    [InlineData("io.write_file", true)]
    [InlineData("tf.py_function", true)]
    [InlineData("raw_ops.ReadFile", true)]
    [InlineData("math.add", false)]
    [InlineData("nn.relu", false)]
    public async Task Analyze_TfOpLambda_DangerousOnlyForIoAndPython(string function, bool dangerous)
    {
        var report = await Scan(new KerasConfigBuilder().TfOpLambda(function).Build());

        report.Findings.Any(f => f.RuleId == KerasConfigAnalyzer.DangerousFunctionReference).Should().Be(dangerous);
    }

    [Fact]
    public async Task Analyze_FunctionReferenceToOsSystem_Malicious()
    {
        var report = await Scan(FixtureCatalog.Get("keras/function-os-system").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.DangerousFunctionReference && f.Property("function") == "os.system");
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_TrainingConfigWithCustomLoss_Reported()
    {
        var json = """{"loss": {"module": "evil_losses", "class_name": "function", "config": "focal", "registered_name": "focal"}, "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.001}}}""";

        var report = await Scan(Encoding.UTF8.GetBytes(json), "training_config");

        report.Artifacts.Single().Facts["keras-config.kind"].Should().Be("training-config");
        report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.CustomObject && f.Property("object") == "evil_losses.focal");
    }

    [Fact]
    public async Task Analyze_UndecodableBase64_StillReported()
    {
        var report = await Scan(new KerasConfigBuilder().Lambda("!!not base64!!").Build());

        report.Findings.Should().ContainSingle(f => f.RuleId == KerasConfigAnalyzer.SerializedFunction && f.Message.Contains("does not decode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Analyze_InvalidUtf8InString_Inconclusive()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"a"), 0xff, 0xfe, .. Encoding.UTF8.GetBytes("\"}}")];

        var report = await Scan(bytes);

        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-004");
    }

    [Theory]
    [InlineData("""{"class_name": "Sequential", "config": {"layers": [""")]
    [InlineData("""{"class_name": "Sequential", "config": {"layers": []}} trailing""")]
    public async Task Analyze_BrokenJson_Inconclusive(string json)
    {
        var report = await Scan(Encoding.UTF8.GetBytes(json));

        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Theory]
    [InlineData("""{"architectures": ["BertModel"], "model_type": "bert"}""")]
    [InlineData("""{"note": "class_name and config mentioned", "items": [{"class_name": "x", "config": {}}]}""")]
    [InlineData("""[{"class_name": "Dense", "config": {}}]""")]
    public async Task Analyze_OtherJson_NotKeras(string json)
    {
        var report = await Scan(Encoding.UTF8.GetBytes(json), "other.json");

        report.Artifacts.Single().Formats.Should().NotContain("keras-config");
        report.Findings.Should().BeEmpty();
    }

    [Fact]
    public async Task Analyze_DeeplyNestedJson_InconclusiveNotCrash()
    {
        var json = """{"class_name": "Sequential", "config": """ + string.Concat(Enumerable.Repeat("[", 2000)) + string.Concat(Enumerable.Repeat("]", 2000)) + "}";

        var report = await Scan(Encoding.UTF8.GetBytes(json));

        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-004");
    }

    [Fact]
    public void MarshalStrings_RealCodeObject_ListsNamesAndConstants()
    {
        var strings = MarshalStrings.Read(Convert.FromBase64String(KerasConfigBuilder.MarkerLambdaCode));

        strings.Should().Contain(["os", "__import__", "system", "x", "touch /tmp/rampart-marker", "<lambda>"]);
    }
}
