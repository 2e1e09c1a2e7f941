using Rampart.Integrity.Hashing;
using Rampart.TestKit;

namespace Rampart.Integrity.Tests.Hashing;

public sealed class ModelHasherConformanceTests
{
    [SharedDataFact("oms")]
    public void Hash_P256FolderFiles_EqualsReadmeDigestAndOrder()
    {
        var manifest = ModelHasher.Hash(Path.Combine(OmsData.P256, "model"), new HashingOptions(), CancellationToken.None);

        manifest.RootDigestHex.Should().Be(OmsData.P256FilesDigest);
        manifest.Resources.Select(r => r.Name).Should().Equal("X", "weights.bin", "x/y", "x-y", "x.y", "é");
        manifest.ModelName.Should().Be("model");
        manifest.Resources.Should().OnlyContain(r => r.Algorithm == "sha256");
    }

    [SharedDataFact("oms")]
    public void Hash_P256FolderShards1000_EqualsReadmeDigest()
    {
        var options = new HashingOptions { Method = SerializationMethod.Shards, ShardSize = 1000 };

        var manifest = ModelHasher.Hash(Path.Combine(OmsData.P256, "model"), options, CancellationToken.None);

        manifest.RootDigestHex.Should().Be(OmsData.P256Shards1000Digest);
        manifest.Resources.Select(r => r.Name).Should().StartWith(["X:0:1", "weights.bin:0:1000", "weights.bin:1000:2000", "weights.bin:2000:2500"]);
        manifest.Resources.Should().OnlyContain(r => r.Algorithm == "sha256-sharded-1000");
    }

    [SharedDataFact("oms")]
    public void Hash_NoIgnoreGitPaths_IncludesGithubFolder()
    {
        var manifest = ModelHasher.Hash(Path.Combine(OmsData.P256, "model"), new HashingOptions { IgnoreGitPaths = false }, CancellationToken.None);

        manifest.Resources.Select(r => r.Name).Should().Contain(".github/w");
        manifest.RootDigestHex.Should().NotBe(OmsData.P256FilesDigest);
    }

    [SharedDataTheory("oms")]
    [InlineData("v1.0.1-elliptic-key", "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4")]
    [InlineData("v1.1.0-certificate", "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226")]
    public void Hash_UpstreamFolderWithIgnores_EqualsSignedSubject(string folder, string digest)
    {
        var options = new HashingOptions { IgnorePaths = ["model.sig", "ignore-me"] };

        var manifest = ModelHasher.Hash(Path.Combine(OmsData.Upstream, folder), options, CancellationToken.None);

        manifest.RootDigestHex.Should().Be(digest);
    }

    [SharedDataFact("oms")]
    public void Hash_SingleFileModel_NamesTheResourceDot()
    {
        var manifest = ModelHasher.Hash(Path.Combine(OmsData.Upstream, "v1.0.0-elliptic-key", "signme-1"), new HashingOptions(), CancellationToken.None);

        manifest.Resources.Select(r => r.Name).Should().Equal(".");
        manifest.ModelName.Should().Be("signme-1");
        manifest.RootDigestHex.Should().Be("afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b");
    }
}
