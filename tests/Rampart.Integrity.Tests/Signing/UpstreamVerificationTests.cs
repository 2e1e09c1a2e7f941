using Rampart.Integrity.Signing;
using Rampart.TestKit;

namespace Rampart.Integrity.Tests.Signing;

/// <summary>Every signature the reference model_signing wrote (shared/testdata/oms) verifies with Rampart.</summary>
public sealed class UpstreamVerificationTests
{
    private static VerificationTrust.Certificates CaRoots() => new VerificationTrust.Certificates(
        [Path.Combine(OmsData.Keys, "ca-cert.pem"), Path.Combine(OmsData.Keys, "int-ca-cert.pem")]);

    [SharedDataTheory("oms")]
    [InlineData("v1.0.1-elliptic-key")]
    [InlineData("v1.1.0-elliptic-key")]
    public async Task Verify_UpstreamKeySignature_Succeeds(string folder)
    {
        var model = Path.Combine(OmsData.Upstream, folder);

        var result = await ModelVerifier.VerifyAsync(
            model, Path.Combine(model, "model.sig"), new VerificationTrust.PublicKey(Path.Combine(OmsData.Keys, "signing-key-pub.pem")),
            new VerificationOptions { IgnorePaths = ["ignore-me"] }, CancellationToken.None);

        result.Problems.Should().BeEmpty();
        result.Checks.Select(c => c.Name).Should().Equal("bundle", "key hint", "dsse signature", "statement", "model digests");
    }

    [SharedDataFact("oms")]
    public async Task Verify_UpstreamV100SingleFileKeySignature_Succeeds()
    {
        var folder = Path.Combine(OmsData.Upstream, "v1.0.0-elliptic-key");

        var result = await ModelVerifier.VerifyAsync(
            Path.Combine(folder, "signme-1"), Path.Combine(folder, "model.sig"),
            new VerificationTrust.PublicKey(Path.Combine(OmsData.Keys, "signing-key-pub.pem")), new VerificationOptions(), CancellationToken.None);

        result.Problems.Should().BeEmpty();
        result.Warnings.Should().ContainMatch("*no public key hint*");
    }

    [SharedDataTheory("oms")]
    [InlineData("v1.0.0-certificate")]
    [InlineData("v1.0.1-certificate")]
    [InlineData("v1.1.0-certificate")]
    public async Task Verify_UpstreamCertificateSignature_Succeeds(string folder)
    {
        var model = Path.Combine(OmsData.Upstream, folder);

        var result = await ModelVerifier.VerifyAsync(
            model, Path.Combine(model, "model.sig"), CaRoots(), new VerificationOptions { IgnorePaths = ["ignore-me"] }, CancellationToken.None);

        result.Problems.Should().BeEmpty();
        result.Checks.Should().Contain(c => c.Name == "certificate chain" && c.Passed);
    }

    [SharedDataFact("oms")]
    public async Task Verify_UpstreamCertificateSignatureWithUnrelatedRoot_FailsOnChain()
    {
        var model = Path.Combine(OmsData.Upstream, "v1.1.0-certificate");

        var result = await ModelVerifier.VerifyAsync(
            model, Path.Combine(model, "model.sig"), new VerificationTrust.Certificates([Path.Combine(OmsData.Keys, "signing-key-cert.pem")]),
            new VerificationOptions(), CancellationToken.None);

        result.Succeeded.Should().BeFalse();
        result.Checks[^1].Name.Should().Be("certificate chain");
        result.Problems.Single().Message.Should().Contain("does not chain");
    }

    [SharedDataTheory("oms")]
    [InlineData("model.files.sig")]
    [InlineData("model.shards1000.sig")]
    public async Task Verify_P256Signatures_SucceedWithRecordedSerialization(string signature)
    {
        var result = await ModelVerifier.VerifyAsync(
            Path.Combine(OmsData.P256, "model"), Path.Combine(OmsData.P256, signature),
            new VerificationTrust.PublicKey(Path.Combine(OmsData.P256, "signing-key-p256.pub")), new VerificationOptions(), CancellationToken.None);

        result.Problems.Should().BeEmpty();
        result.SignedManifest!.RootDigestHex.Should().Be(signature.Contains("shards", StringComparison.Ordinal) ? OmsData.P256Shards1000Digest : OmsData.P256FilesDigest);
    }

    [SharedDataFact("oms")]
    public async Task Verify_WrongPublicKey_FailsOnKeyHint()
    {
        var result = await ModelVerifier.VerifyAsync(
            Path.Combine(OmsData.P256, "model"), Path.Combine(OmsData.P256, "model.files.sig"),
            new VerificationTrust.PublicKey(Path.Combine(OmsData.Keys, "signing-key-pub.pem")), new VerificationOptions(), CancellationToken.None);

        result.Succeeded.Should().BeFalse();
        result.Problems.Single().Message.Should().StartWith("key mismatch");
    }
}
