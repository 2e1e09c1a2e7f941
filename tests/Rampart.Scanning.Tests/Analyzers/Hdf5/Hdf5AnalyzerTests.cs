using Rampart.Core;
using Rampart.Scanning.Analyzers.Keras;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Hdf5;

public sealed class Hdf5AnalyzerTests
{
    private static byte[] Vector(string name) =>
        File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Analyzers", "Hdf5", "Vectors", name));

    [Theory]
    [InlineData("keras2_dense.h5", "0")]
    [InlineData("keras2_lambda_latest.h5", "3")]
    public async Task Analyze_H5pyKerasLayout_FactsAndConfigChildren(string name, string superblock)
    {
        var report = await ScanHelper.ScanBytesAsync(Vector(name), "model.h5");

        var root = report.Artifacts.First();
        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-GEN", StringComparison.Ordinal));
        root.Formats.Should().Contain("hdf5");
        root.Facts["hdf5.superblock"].Should().Be(superblock);
        root.Facts["hdf5.keras_version"].Should().Be("2.12.0");
        root.Facts["hdf5.backend"].Should().Be("tensorflow");
        root.Facts["hdf5.datasets"].Should().Be("2");
        root.Facts["hdf5.groups"].Should().Be("4");
        report.Artifacts.Should().Contain(a => a.Path == "model.h5#model_config" && a.Formats.Contains("keras-config"));
        report.Artifacts.Should().Contain(a => a.Path == "model.h5#training_config" && a.Formats.Contains("keras-config"));
    }

    [Fact]
    public async Task Analyze_DenseModel_Clean()
    {
        var report = await ScanHelper.ScanBytesAsync(Vector("keras2_dense.h5"), "model.h5");

        report.Findings.Should().BeEmpty();
        report.Verdict.Should().Be(Verdict.Clean);
    }

    [Fact]
    public async Task Analyze_MarkerLambda_MaliciousThroughModelConfig()
    {
        var report = await ScanHelper.ScanBytesAsync(Vector("keras2_lambda_marker.h5"), "model.h5");

        report.Findings.Should().Contain(f => f.RuleId == KerasConfigAnalyzer.DangerousBytecode && f.ArtifactPath == "model.h5#model_config");
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Analyze_UserBlock_SignatureFoundAt512()
    {
        byte[] bytes = [.. new byte[512], .. Vector("keras2_dense.h5")];

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.h5");

        report.Findings.Should().BeEmpty();
        report.Artifacts.First().Facts["hdf5.user_block"].Should().Be("512");
        report.Artifacts.Should().Contain(a => a.Path == "model.h5#model_config");
    }

    [Fact]
    public async Task Analyze_EveryTruncation_NeverCrashesNeverSilentlyClean()
    {
        var full = Vector("keras2_lambda_marker.h5");
        for (var length = 16; length < full.Length; length += 97)
        {
            var report = await ScanHelper.ScanBytesAsync(full[..length], "model.h5");

            report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-004", $"truncated to {length} bytes");
            report.Verdict.Should().NotBe(Verdict.Clean, $"truncated to {length} bytes");
        }
    }

    [Fact]
    public async Task Analyze_NotHdf5AfterSignature_Inconclusive()
    {
        byte[] bytes = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a, 9, .. new byte[100]];

        var report = await ScanHelper.ScanBytesAsync(bytes, "model.h5");

        report.Verdict.Should().Be(Verdict.Inconclusive);
        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-GEN-001" && f.Message.Contains("superblock version 9", StringComparison.Ordinal));
    }
}
