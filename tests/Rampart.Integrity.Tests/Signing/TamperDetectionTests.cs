using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Integrity.Signing;
using Rampart.TestKit;

namespace Rampart.Integrity.Tests.Signing;

/// <summary>Any change to the signed P-256 model or to its signature fails, with a message naming what changed.</summary>
public sealed class TamperDetectionTests
{
    private static async Task<VerificationResult> VerifyCopyAsync(TempFolder copy, string signature = "model.files.sig") =>
        await ModelVerifier.VerifyAsync(
            copy.Model, Path.Combine(copy.Path, signature),
            new VerificationTrust.PublicKey(Path.Combine(OmsData.P256, "signing-key-p256.pub")), new VerificationOptions(), CancellationToken.None);

    private static TempFolder CopyWithSignatures()
    {
        var copy = OmsData.CopyOf(Path.Combine(OmsData.P256, "model"));
        File.Copy(Path.Combine(OmsData.P256, "model.files.sig"), copy.File("model.files.sig"));
        File.Copy(Path.Combine(OmsData.P256, "model.shards1000.sig"), copy.File("model.shards1000.sig"));
        return copy;
    }

    [SharedDataTheory("oms")]
    [InlineData("model.files.sig", "weights.bin")]
    [InlineData("model.shards1000.sig", "weights.bin:1000:2000")]
    public async Task Verify_SingleByteChanged_NamesTheChangedResource(string signature, string resource)
    {
        using var copy = CopyWithSignatures();
        var weights = Path.Combine(copy.Model, "weights.bin");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[1500] ^= 0x01;
        await File.WriteAllBytesAsync(weights, bytes);

        var result = await VerifyCopyAsync(copy, signature);

        result.Succeeded.Should().BeFalse();
        result.Problems.Should().ContainSingle().Which.Should().Match<IntegrityProblem>(p => p.Kind == IntegrityProblemKind.Changed && p.Resource == resource);
        result.Problems[0].Message.Should().Contain(resource);
    }

    [SharedDataFact("oms")]
    public async Task Verify_RenamedFile_ReportsMissingAndExtraByName()
    {
        using var copy = CopyWithSignatures();
        File.Move(Path.Combine(copy.Model, "x-y"), Path.Combine(copy.Model, "x_y"));

        var result = await VerifyCopyAsync(copy);

        result.Problems.Select(p => (p.Kind, p.Resource)).Should().BeEquivalentTo(new[]
        {
            (IntegrityProblemKind.Extra, (string?)"x_y"),
            (IntegrityProblemKind.Missing, (string?)"x-y"),
        });
    }

    [SharedDataFact("oms")]
    public async Task Verify_AddedFile_ReportsExtraByName()
    {
        using var copy = CopyWithSignatures();
        Directory.CreateDirectory(Path.Combine(copy.Model, "x", "z"));
        await File.WriteAllTextAsync(Path.Combine(copy.Model, "x", "z", "payload.py"), "print('hi')");

        var result = await VerifyCopyAsync(copy);

        result.Problems.Should().ContainSingle().Which.Message.Should().Be("extra file not covered by the signature: x/z/payload.py");
    }

    [SharedDataFact("oms")]
    public async Task Verify_AddedFileInIgnoredGitFolder_StillSucceeds()
    {
        using var copy = CopyWithSignatures();
        await File.WriteAllTextAsync(Path.Combine(copy.Model, ".github", "new"), "ci");

        var result = await VerifyCopyAsync(copy);

        result.Succeeded.Should().BeTrue();
    }

    [SharedDataFact("oms")]
    public async Task Verify_ChangedSignatureBytes_FailsOnDsseSignature()
    {
        using var copy = CopyWithSignatures();
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(copy.File("model.files.sig")))!;
        var sig = Convert.FromBase64String(bundle["dsseEnvelope"]!["signatures"]![0]!["sig"]!.GetValue<string>());
        sig[^1] ^= 0x01;
        bundle["dsseEnvelope"]!["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        await File.WriteAllTextAsync(copy.File("model.files.sig"), bundle.ToJsonString());

        var result = await VerifyCopyAsync(copy);

        result.Checks[^1].Should().Match<VerificationCheck>(c => c.Name == "dsse signature" && !c.Passed);
        result.Problems.Single().Message.Should().Contain("DSSE signature does not verify");
    }

    [SharedDataFact("oms")]
    public async Task Verify_ChangedStatement_FailsOnDsseSignature()
    {
        using var copy = CopyWithSignatures();
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(copy.File("model.files.sig")))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(bundle["dsseEnvelope"]!["payload"]!.GetValue<string>()));
        payload = payload.Replace("\"name\": \"x-y\"", "\"name\": \"x-z\"", StringComparison.Ordinal);
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload));
        await File.WriteAllTextAsync(copy.File("model.files.sig"), bundle.ToJsonString());

        var result = await VerifyCopyAsync(copy);

        result.Succeeded.Should().BeFalse();
        result.Checks[^1].Name.Should().Be("dsse signature");
    }

    [SharedDataTheory("oms")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.2\"}", "unsupported bundle media type")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{}}", "neither a public key nor a certificate chain")]
    public async Task Verify_MalformedBundle_FailsWithClearMessage(string content, string expected)
    {
        using var copy = CopyWithSignatures();
        await File.WriteAllTextAsync(copy.File("model.files.sig"), content);

        var result = await VerifyCopyAsync(copy);

        result.Succeeded.Should().BeFalse();
        result.Problems.Single().Message.Should().Contain(expected);
    }

    [Fact]
    public void ParseBundle_EveryTruncationOfAValidBundle_ThrowsIntegrityExceptionOnly()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var manifest = new Rampart.Integrity.Hashing.ModelManifest("m", [new("a", "sha256", [.. new byte[32]])],
            new Rampart.Integrity.Hashing.SerializationDescription(Rampart.Integrity.Hashing.SerializationMethod.Files, "sha256", false, null, []));
        var json = ModelSigner.SignWithKey(manifest, key).ToJson();

        for (var length = 0; length < json.Length; length += 7)
        {
            var act = () => SigstoreBundle.Parse(json.AsSpan(0, length));
            act.Should().Throw<Rampart.Integrity.Hashing.IntegrityException>();
        }

        SigstoreBundle.Parse(json).PayloadType.Should().Be(Dsse.InTotoPayloadType);
        JsonDocument.Parse(json).RootElement.GetProperty("mediaType").GetString().Should().Be(SigstoreBundle.MediaTypeV03);
    }
}
