using Rampart.Core;
using Rampart.Core.Reporting;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.HuggingFace;

/// <summary>
/// A Hugging Face hub cache as huggingface_hub writes it (blobs named by digest, relative links in snapshots, refs):
/// links are followed inside the cache only, each blob is scanned once, and each model is named by id and revision.
/// </summary>
public sealed class HubCacheAnalyzerTests : IDisposable
{
    private const string Old = "0b0a3a2c6f5d7e8f9a0b1c2d3e4f5a6b7c8d9e0f";
    private const string New = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

    private static readonly byte[] Config = System.Text.Encoding.UTF8.GetBytes("""{"architectures": ["BertModel"], "model_type": "bert"}""");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Evil() => PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker");

    private static ArtifactReport Artifact(ScanReport report, string suffix) => report.Artifacts.Single(a => a.Path.EndsWith(suffix, StringComparison.Ordinal));

    [Fact]
    public async Task Scan_TwoRevisionsSharingABlob_ScansTheBlobOnceAndBothNamesCarryItsVerdict()
    {
        var hub = new HubCacheBuilder()
            .File("acme/tiny", Old, "config.json", Config).File("acme/tiny", Old, "pytorch_model.bin", Evil())
            .File("acme/tiny", New, "config.json", Config).File("acme/tiny", New, "pytorch_model.bin", Evil())
            .File("acme/tiny", New, "model.safetensors", HuggingFaceRepoBuilder.SafetensorsBytes())
            .Ref("acme/tiny", "main", New)
            .Write(_temp.Path);

        var report = await ScanHelper.ScanPathsAsync([hub]);

        // One malicious pickle, two names: the pickle finding is raised once, on the first name.
        report.Findings.Where(f => f.RuleId.StartsWith("RAMP-PKL", StringComparison.Ordinal)).Select(f => f.ArtifactPath).Distinct()
            .Should().ContainSingle().Which.Should().EndWith($"snapshots/{Old}/pytorch_model.bin");
        var second = Artifact(report, $"snapshots/{New}/pytorch_model.bin");
        second.Verdict.Should().Be(Verdict.Malicious, "a name of a malicious blob is malicious");
        second.Facts["cache.same_blob_as"].Should().EndWith($"snapshots/{Old}/pytorch_model.bin");
        second.Formats.Should().Contain("pickle");

        // Blobs reached by a snapshot are not listed again under their digest names.
        report.Artifacts.Should().NotContain(a => a.Path.Contains("/blobs/", StringComparison.Ordinal));
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Scan_Cache_ReportsEachModelByRepositoryIdAndRevision()
    {
        var hub = new HubCacheBuilder()
            .File("acme/tiny", Old, "config.json", Config)
            .File("acme/tiny", New, "config.json", Config).File("acme/tiny", New, "model.safetensors", HuggingFaceRepoBuilder.SafetensorsBytes())
            .File("other-org/big-model", New, "model.safetensors", HuggingFaceRepoBuilder.SafetensorsBytes())
            .Ref("acme/tiny", "main", New).Ref("acme/tiny", "v1", Old)
            .Write(_temp.Path);

        var report = await ScanHelper.ScanPathsAsync([hub]);

        var repository = Artifact(report, "models--acme--tiny");
        repository.Facts["huggingface-cache.repo_id"].Should().Be("acme/tiny");
        repository.Facts["huggingface-cache.repo_type"].Should().Be("model");
        repository.Facts["huggingface-cache.revisions"].Should().Be($"{Old}, {New}");
        repository.Facts["huggingface-cache.refs"].Should().Be($"main={New}, v1={Old}");
        var revision = Artifact(report, $"models--acme--tiny/snapshots/{New}");
        revision.Facts["huggingface-cache.repo_id"].Should().Be("acme/tiny");
        revision.Facts["huggingface-cache.revision"].Should().Be(New);
        revision.Facts["huggingface.model_type"].Should().Be("bert", "the model-repository checks run on each snapshot through its links");
        Artifact(report, $"models--other-org--big-model/snapshots/{New}").Facts["huggingface-cache.repo_id"].Should().Be("other-org/big-model");
        report.Verdict.Should().Be(Verdict.Clean);
    }

    [Theory]
    [InlineData("/etc/hostname")]
    [InlineData("../../../../outside.pkl")]
    [InlineData("../../../models--acme--other/blobs/x")]
    public async Task Scan_SnapshotLinkLeavingTheRepository_IsNotFollowedAndIsInconclusive(string target)
    {
        File.WriteAllBytes(_temp.File("outside.pkl"), Evil());
        Directory.CreateDirectory(_temp.File("hub/models--acme--other/blobs"));
        File.WriteAllBytes(_temp.File("hub/models--acme--other/blobs/x"), Evil());
        var hub = new HubCacheBuilder()
            .File("acme/tiny", New, "config.json", Config)
            .Link("acme/tiny", New, "pytorch_model.bin", target)
            .Write(_temp.Path);

        var report = await ScanHelper.ScanPathsAsync([Path.Combine(hub, "models--acme--tiny")]);

        var link = report.Findings.Single(f => f.ArtifactPath.EndsWith("pytorch_model.bin", StringComparison.Ordinal));
        link.RuleId.Should().Be(RuleIds.Unreadable);
        link.Message.Should().Contain("leads out of models--acme--tiny");
        report.Findings.Should().NotContain(f => f.RuleId.StartsWith("RAMP-PKL", StringComparison.Ordinal), "the target was never read");
        report.Verdict.Should().Be(Verdict.Inconclusive);
    }

    [Fact]
    public async Task Scan_BlobNoSnapshotReaches_IsScannedUnderItsOwnName()
    {
        var hub = new HubCacheBuilder().File("acme/tiny", New, "config.json", Config).Write(_temp.Path);
        var orphan = Path.Combine(hub, "models--acme--tiny", "blobs", HubCacheBuilder.BlobName(Evil()));
        File.WriteAllBytes(orphan, Evil());

        var report = await ScanHelper.ScanPathsAsync([hub]);

        report.Findings.Should().Contain(f => f.ArtifactPath.EndsWith("/blobs/" + Path.GetFileName(orphan), StringComparison.Ordinal) && f.RuleId.StartsWith("RAMP-PKL", StringComparison.Ordinal));
        Artifact(report, "models--acme--tiny").Facts["huggingface-cache.blobs_without_snapshot"].Should().Be("1");
    }

    [Fact]
    public async Task Scan_OneSnapshotFolderAsTarget_FollowsItsLinksIntoTheRepositoryBlobs()
    {
        var hub = new HubCacheBuilder().File("acme/tiny", New, "sub/weights.pkl", Evil()).Write(_temp.Path);

        var report = await ScanHelper.ScanPathsAsync([Path.Combine(hub, "models--acme--tiny", "snapshots", New)]);

        report.Findings.Should().Contain(f => f.ArtifactPath.EndsWith("sub/weights.pkl", StringComparison.Ordinal) && f.RuleId.StartsWith("RAMP-PKL", StringComparison.Ordinal));
        report.Verdict.Should().Be(Verdict.Malicious);
    }

    [Fact]
    public async Task Scan_FolderNamedLikeACacheWithoutItsLayout_IsAPlainFolder()
    {
        var folder = Directory.CreateDirectory(_temp.File("models--not--a-cache")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "a.pkl"), Evil());
        File.WriteAllBytes(Path.Combine(folder, "b.pkl"), Evil());

        var report = await ScanHelper.ScanPathsAsync([folder]);

        report.Artifacts.Should().NotContain(a => a.Formats.Contains("huggingface-cache"));
        report.Findings.Where(f => f.RuleId.StartsWith("RAMP-PKL", StringComparison.Ordinal)).Select(f => f.ArtifactPath).Distinct().Should().HaveCount(2, "identical files outside a cache are each scanned");
    }

    [Fact]
    public async Task ExpandTree_RelativeTarget_ResolvesAgainstTheGivenBaseDirectory()
    {
        var hub = new HubCacheBuilder().File("acme/tiny", New, "model.pkl", Evil()).Write(_temp.Path);

        var walk = ArtifactWalker.ExpandTree(["hub"], _temp.Path);
        var report = await Scanner.CreateDefault().ScanAsync(["hub"], _temp.Path, Core.Policy.ScanPolicy.Default);

        walk.Files.Should().ContainSingle().Which.DisplayPath.Should().Be($"hub/models--acme--tiny/snapshots/{New}/model.pkl");
        report.Verdict.Should().Be(Verdict.Malicious);
        Directory.Exists(Path.GetFullPath("hub")).Should().BeFalse("the test process's working folder is not the base");
        _ = hub;
    }
}
