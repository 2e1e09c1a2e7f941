using Rampart.Scanning.Analyzers.TensorFlow;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.TensorFlow;

public sealed class KerasMetadataAndFingerprintTests
{
    [Fact]
    public async Task Analyze_KerasMetadata_EachJsonIsAChild()
    {
        var report = await ScanHelper.ScanBytesAsync(FixtureCatalog.Get("tf/keras-metadata").Build(), "keras_metadata.pb");

        var facts = report.Artifacts[0].Facts;
        facts["tf-keras-metadata.nodes"].Should().Be("2");
        facts["tf-keras-metadata.metadata_nodes"].Should().Be("2");
        facts["tf-keras-metadata.identifiers"].Should().Be("_tf_keras_network, _tf_keras_layer");
        report.Artifacts.Select(a => a.Path).Should().Contain(["keras_metadata.pb#keras_metadata[0]", "keras_metadata.pb#keras_metadata[1]"]);
        report.Findings.Should().NotContain(f => f.RuleId == "RAMP-GEN-003", "the JSON children are not named like model files");
    }

    [Fact]
    public void CanAnalyze_OtherProtobuf_False()
    {
        var analyzer = new KerasMetadataAnalyzer();
        var notKeras = new ProtobufWriter().Message(1, n => n.Text(3, "root").Text(4, "something_else")).ToArray();

        analyzer.CanAnalyze(ArtifactFactory.FromBytes("k", null, 0, notKeras)).Should().BeFalse();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("k", null, 0, TensorFlowFixtures.Benign().Build())).Should().BeFalse();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("k", null, 0, FixtureCatalog.Get("tf/keras-metadata").Build())).Should().BeTrue();
    }

    [Fact]
    public async Task Analyze_Fingerprint_HashesAsFacts()
    {
        var report = await ScanHelper.ScanBytesAsync(SavedModelBuilder.Fingerprint(18446744073709551615UL), "fingerprint.pb");

        report.Findings.Should().BeEmpty();
        var facts = report.Artifacts[0].Facts;
        facts["tf-fingerprint.saved_model_checksum"].Should().Be("18446744073709551615");
        facts["tf-fingerprint.checkpoint_hash"].Should().Be("44");
        facts["tf-fingerprint.producer"].Should().Be("1");
    }

    [Fact]
    public void CanAnalyze_FingerprintOtherNameOrContent_False()
    {
        var analyzer = new FingerprintAnalyzer();

        analyzer.CanAnalyze(ArtifactFactory.FromBytes("x.pb", null, 0, SavedModelBuilder.Fingerprint(), "x.pb")).Should().BeFalse();
        analyzer.CanAnalyze(ArtifactFactory.FromBytes("fingerprint.pb", null, 0, "not a proto"u8.ToArray(), "fingerprint.pb")).Should().BeFalse();
    }
}
