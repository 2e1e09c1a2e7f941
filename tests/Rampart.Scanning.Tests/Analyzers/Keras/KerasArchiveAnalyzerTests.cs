using Rampart.Core;
using Rampart.Scanning.Analyzers.Keras;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Keras;

public sealed class KerasArchiveAnalyzerTests
{
    [Fact]
    public async Task Analyze_KerasArchive_FactsAndConfigChildJudged()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("keras/dense-archive").Build(), "model.keras");

        report.Findings.Should().BeEmpty();
        var root = report.Artifacts.First(a => a.Path == "model.keras");
        root.Formats.Should().Contain(["zip", "keras"]);
        root.Facts["keras.version"].Should().Be("3.3.3");
        root.Facts["keras.weights"].Should().Be("hdf5");
        root.Facts["keras.format"].Should().Be("keras-v3");
        report.Artifacts.Should().Contain(a => a.Path == "model.keras!/config.json" && a.Formats.Contains("keras-config"));
        report.Artifacts.Should().Contain(a => a.Path == "model.keras!/model.weights.h5" && a.Formats.Contains("hdf5"));
    }

    [Fact]
    public async Task Analyze_KerasArchiveWithHostileLambda_MaliciousFromConfigChild()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("keras/keras3-lambda-archive").Build(), "lambda.keras");

        report.Findings.Should().Contain(f => f.RuleId == KerasConfigAnalyzer.DangerousBytecode && f.ArtifactPath == "lambda.keras!/config.json");
        report.Artifacts.First().Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_PlainZipWithConfigJsonOnly_NotKeras()
    {
        var bytes = new ZipBuilder().Add("config.json", "{}").Add("readme.txt", "hi").Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, "bundle.zip");

        report.Artifacts.First().Formats.Should().NotContain("keras");
    }

    [Fact]
    public async Task Analyze_WeightsNotHdf5_FactSaysSo()
    {
        var bytes = new ZipBuilder().Add("config.json", new KerasConfigBuilder().Keras3().Dense().BuildJson()).Add("model.weights.h5", "not hdf5").Build();

        var report = await ScanHelper.ScanBytesAsync(bytes, "odd.keras");

        report.Artifacts.First().Facts["keras.weights"].Should().Be("not-hdf5");
    }
}
