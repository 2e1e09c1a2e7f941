using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;
using Rampart.TestKit;

namespace Rampart.Integrity.Tests.Signing;

/// <summary>Signatures Rampart writes: the reference's layout, the expected digests, and they verify.</summary>
public sealed class RampartSigningTests
{
    private static readonly string P256Model = Path.Combine(OmsData.P256, "model");

    private static async Task<(SigstoreBundle Bundle, string Path)> SignP256Async(TempFolder temp, HashingOptions options)
    {
        var manifest = await ModelHasher.HashAsync(P256Model, options, CancellationToken.None);
        using var key = KeyMaterial.LoadPrivateKey(Path.Combine(OmsData.P256, "signing-key-p256.pem"));
        var bundle = ModelSigner.SignWithKey(manifest, key);
        var path = temp.File("rampart.sig");
        ModelSigner.Write(bundle, path);
        return (bundle, path);
    }

    [SharedDataTheory("oms")]
    [InlineData(false, OmsData.P256FilesDigest)]
    [InlineData(true, OmsData.P256Shards1000Digest)]
    public async Task Sign_P256Model_CarriesReadmeDigestAndVerifies(bool shards, string digest)
    {
        using var temp = new TempFolder();
        var options = shards ? new HashingOptions { Method = SerializationMethod.Shards, ShardSize = 1000 } : new HashingOptions();

        var (bundle, path) = await SignP256Async(temp, options);
        var result = await ModelVerifier.VerifyAsync(
            P256Model, path, new VerificationTrust.PublicKey(Path.Combine(OmsData.P256, "signing-key-p256.pub")), new VerificationOptions(), CancellationToken.None);

        Statement.Read(bundle.Payload.AsSpan()).RootDigestHex.Should().Be(digest);
        result.Problems.Should().BeEmpty();
        bundle.KeyHint.Should().Be("124a451edd1be52fac3c395f79b8bbcb7804bb034ae8fda11661571829f6bf98", "the hint is SHA-256 of the public key PEM, as in the reference's bundle");
    }

    /// <summary>
    /// A second, deliberately naive implementation of the reference's published algorithm: read every file whole,
    /// SHA-256 it, check the statement's digest for it, then SHA-256 the concatenated digests in the listed order.
    /// </summary>
    [SharedDataFact("oms")]
    public async Task Sign_P256Model_SubjectRederivedIndependentlyFromStatement()
    {
        using var temp = new TempFolder();
        var (bundle, _) = await SignP256Async(temp, new HashingOptions());
        using var statement = JsonDocument.Parse(bundle.Payload.ToArray());
        var resources = statement.RootElement.GetProperty("predicate").GetProperty("resources").EnumerateArray().ToList();

        using var root = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var resource in resources)
        {
            var name = resource.GetProperty("name").GetString()!;
            var fileDigest = SHA256.HashData(File.ReadAllBytes(Path.Combine(P256Model, name)));
            Convert.ToHexStringLower(fileDigest).Should().Be(resource.GetProperty("digest").GetString(), name);
            root.AppendData(fileDigest);
        }

        var onDisk = Directory.GetFiles(P256Model, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(P256Model, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".github/", StringComparison.Ordinal));
        resources.Select(r => r.GetProperty("name").GetString()).Should().BeEquivalentTo(onDisk);
        statement.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString()
            .Should().Be(Convert.ToHexStringLower(root.GetHashAndReset())).And.Be(OmsData.P256FilesDigest);
    }

    [SharedDataFact("oms")]
    public async Task Sign_KeyBundle_HasTheUpstreamStructureFieldByField()
    {
        using var temp = new TempFolder();
        var (bundle, _) = await SignP256Async(temp, new HashingOptions());
        var ours = JsonNode.Parse(bundle.ToJson())!;
        var theirs = JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(OmsData.Upstream, "v1.1.0-elliptic-key", "model.sig")))!;

        Shape(ours).Should().Equal(Shape(theirs));
        Encoding.UTF8.GetString(bundle.ToJson()).Should().StartWith("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{\"hint\":");
    }

    [SharedDataFact("oms")]
    public async Task Sign_Statement_EqualsUpstreamStatementContentAndLayout()
    {
        using var temp = new TempFolder();
        var (bundle, _) = await SignP256Async(temp, new HashingOptions());
        var theirs = SigstoreBundle.ReadFile(Path.Combine(OmsData.P256, "model.files.sig"));

        Normalize(JsonNode.Parse(bundle.Payload.ToArray())!).ToJsonString()
            .Should().Be(Normalize(JsonNode.Parse(theirs.Payload.ToArray())!).ToJsonString());
        var text = Encoding.ASCII.GetString(bundle.Payload.AsSpan());
        text.Should().StartWith("{\n  \"_type\": \"https://in-toto.io/Statement/v1\",\n  \"subject\": [\n    {\n      \"name\": \"model\",");
        text.Should().Contain("\"name\": \"\\u00e9\"").And.EndWith("\n  }\n}");
        SortedLines(text).Should().Equal(SortedLines(Encoding.ASCII.GetString(theirs.Payload.AsSpan())), "the same lines, in another key order");
    }

    [SharedDataFact("oms")]
    public async Task SignWithCertificate_UpstreamKeys_VerifiesAndMatchesUpstreamStructure()
    {
        using var temp = new TempFolder();
        var folder = Path.Combine(OmsData.Upstream, "v1.1.0-certificate");
        var manifest = await ModelHasher.HashAsync(folder, new HashingOptions { IgnorePaths = ["model.sig", "ignore-me"] }, CancellationToken.None);
        using var key = KeyMaterial.LoadPrivateKey(Path.Combine(OmsData.Keys, "signing-key.pem"));
        var leaf = KeyMaterial.LoadCertificates([Path.Combine(OmsData.Keys, "signing-key-cert.pem")])[0];
        var chain = KeyMaterial.LoadCertificates([Path.Combine(OmsData.Keys, "int-ca-cert.pem")]);

        var bundle = ModelSigner.SignWithCertificate(manifest, key, leaf, chain);
        ModelSigner.Write(bundle, temp.File("cert.sig"));
        var result = await ModelVerifier.VerifyAsync(
            folder, temp.File("cert.sig"), new VerificationTrust.Certificates([Path.Combine(OmsData.Keys, "ca-cert.pem")]),
            new VerificationOptions { IgnorePaths = ["ignore-me"] }, CancellationToken.None);

        result.Problems.Should().BeEmpty();
        Statement.Read(bundle.Payload.AsSpan()).RootDigestHex.Should().Be("61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226");
        Shape(JsonNode.Parse(bundle.ToJson())!).Should().Equal(Shape(JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "model.sig")))!));
    }

    [SharedDataFact("oms")]
    public void SignWithCertificate_KeyNotInCertificate_Throws()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var leaf = KeyMaterial.LoadCertificates([Path.Combine(OmsData.Keys, "signing-key-cert.pem")])[0];
        var manifest = ModelHasher.Hash(P256Model, new HashingOptions(), CancellationToken.None);

        var act = () => ModelSigner.SignWithCertificate(manifest, key, leaf, []);

        act.Should().Throw<IntegrityException>().WithMessage("*does not match the private key*");
    }

    [Theory]
    [InlineData(SigningCurve.P256, 70, 72)]
    [InlineData(SigningCurve.P384, 102, 104)]
    [InlineData(SigningCurve.P521, 137, 139)]
    public async Task KeygenSignVerify_EachCurve_RoundTrips(SigningCurve curve, int minDer, int maxDer)
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("model"));
        await File.WriteAllBytesAsync(temp.File("model/weights.bin"), new byte[5000]);
        var (privatePath, publicPath) = KeyMaterial.GenerateKeyPair(curve, temp.File("k"));
        var manifest = await ModelHasher.HashAsync(temp.File("model"), new HashingOptions(), CancellationToken.None);
        using var key = KeyMaterial.LoadPrivateKey(privatePath);

        var bundle = ModelSigner.SignWithKey(manifest, key);
        ModelSigner.Write(bundle, temp.File("model.sig"));
        var result = await ModelVerifier.VerifyAsync(temp.File("model"), temp.File("model.sig"), new VerificationTrust.PublicKey(publicPath), new VerificationOptions(), CancellationToken.None);

        result.Problems.Should().BeEmpty();
        bundle.Signature.Length.Should().BeInRange(minDer - 2, maxDer, "a DER ECDSA signature, not the fixed-size IEEE P1363 form");
        bundle.Signature[0].Should().Be(0x30);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(privatePath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public void Keygen_ExistingTarget_RefusesToOverwrite()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("k.pem"), "keep");

        var act = () => KeyMaterial.GenerateKeyPair(SigningCurve.P256, temp.File("k"));

        act.Should().Throw<IntegrityException>().WithMessage("*already exists*");
        File.ReadAllText(temp.File("k.pem")).Should().Be("keep");
    }

    [Fact]
    public void LoadPrivateKey_EncryptedPkcs8_NeedsTheRightPasswordAndNeverEchoesIt()
    {
        using var temp = new TempFolder();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = key.ExportEncryptedPkcs8PrivateKeyPem("s3cret-pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
        File.WriteAllText(temp.File("enc.pem"), pem);

        using var loaded = KeyMaterial.LoadPrivateKey(temp.File("enc.pem"), "s3cret-pw");
        var missing = () => KeyMaterial.LoadPrivateKey(temp.File("enc.pem"));
        var wrong = () => KeyMaterial.LoadPrivateKey(temp.File("enc.pem"), "wrong-pw");

        loaded.ExportSubjectPublicKeyInfo().Should().Equal(key.ExportSubjectPublicKeyInfo());
        missing.Should().Throw<IntegrityException>().WithMessage("*encrypted*");
        wrong.Should().Throw<IntegrityException>().Which.Message.Should().NotContain("wrong-pw").And.NotContain("PRIVATE KEY-----");
    }

    [Fact]
    public async Task Verify_LegacyV01PredicateAndLegacyPae_AcceptedAsTheReferenceDoes()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("model"));
        await File.WriteAllTextAsync(temp.File("model/a.bin"), "abcd");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(temp.File("k.pub"), KeyMaterial.PublicKeyPem(key));
        var payload = Encoding.UTF8.GetBytes(
            "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": [{\"name\": \"a.bin\", \"digest\": {\"sha256\": "
            + "\"88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589\"}}], \"predicateType\": \"https://model_signing/Digests/v0.1\", \"predicate\": {}}");
        var signature = key.SignData(Dsse.PaeLegacy(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var bundle = new SigstoreBundle(SigstoreBundle.MediaTypeV03, VerificationMaterialKind.PublicKey, KeyMaterial.KeyHint(key), [], [.. payload], Dsse.InTotoPayloadType, [.. signature]);
        ModelSigner.Write(bundle, temp.File("model.sig"));

        var result = await ModelVerifier.VerifyAsync(temp.File("model"), temp.File("model.sig"), new VerificationTrust.PublicKey(temp.File("k.pub")), new VerificationOptions(), CancellationToken.None);

        result.Problems.Should().BeEmpty();
        result.Warnings.Should().ContainMatch("*legacy DSSE encoding*");
        result.Checks.Should().Contain(c => c.Name == "statement" && c.Detail == "legacy v0.1 predicate");
    }

    [Fact]
    public async Task Verify_UnknownPredicateType_FailsNamingIt()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("model"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(temp.File("k.pub"), KeyMaterial.PublicKeyPem(key));
        var payload = Encoding.UTF8.GetBytes("{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": [], \"predicateType\": \"https://slsa.dev/provenance/v1\", \"predicate\": {}}");
        var signature = key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        ModelSigner.Write(new SigstoreBundle(SigstoreBundle.MediaTypeV03, VerificationMaterialKind.PublicKey, KeyMaterial.KeyHint(key), [], [.. payload], Dsse.InTotoPayloadType, [.. signature]), temp.File("model.sig"));

        var result = await ModelVerifier.VerifyAsync(temp.File("model"), temp.File("model.sig"), new VerificationTrust.PublicKey(temp.File("k.pub")), new VerificationOptions(), CancellationToken.None);

        result.Problems.Single().Message.Should().Contain("predicate type is 'https://slsa.dev/provenance/v1'");
        result.Checks[^1].Name.Should().Be("statement");
    }

    [Fact]
    public void PythonBytesRepr_MatchesPythonRepr()
    {
        Dsse.PythonBytesRepr("{\"a\": 'b'}\n\t\\\x01é"u8).Should().Be("b'{\"a\": \\'b\\'}\\n\\t\\\\\\x01\\xc3\\xa9'");
        Dsse.PythonBytesRepr("it's"u8).Should().Be("b\"it's\"");
    }

    private static List<string> SortedLines(string text) =>
        [.. text.Split('\n').Select(l => l.TrimEnd(',')).Order(StringComparer.Ordinal)];

    /// <summary>Every property path with its JSON kind, ignoring order and values: the bundle's structure.</summary>
    private static List<string> Shape(JsonNode node, string prefix = "")
    {
        var result = new List<string>();
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    result.Add($"{prefix}/{k}:{v?.GetValueKind()}");
                    if (v is not null && k != "payload")
                    {
                        result.AddRange(Shape(v, $"{prefix}/{k}"));
                    }
                }

                break;
            case JsonArray a when a.Count > 0:
                result.AddRange(Shape(a[0]!, prefix + "[]"));
                break;
        }

        return result;
    }

    private static JsonNode Normalize(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    copy[k] = v is null ? null : Normalize(v);
                }

                return copy;
            case JsonArray a:
                var items = a.Select(i => Normalize(i!)).ToList();
                if (items.All(i => i.GetValueKind() == JsonValueKind.String))
                {
                    items = [.. items.OrderBy(i => i.GetValue<string>(), StringComparer.Ordinal)];
                }

                return new JsonArray([.. items]);
            default:
                return node.DeepClone();
        }
    }
}
