using System.Security.Cryptography;
using Rampart.Core;
using Rampart.Core.Policy;
using Rampart.Integrity.Hashing;
using Rampart.Integrity.Signing;
using Rampart.Scanning;
using Rampart.Scanning.Engine;
using Rampart.TestKit;
using Rampart.TestKit.Fixtures;

namespace Rampart.Scanning.Tests.Analyzers.Signatures;

public sealed class SignatureFolderAnalyzerTests
{
    private static Scanner DefaultScanner() => new(AnalyzerRegistry.CreateAll(), AnalyzerRegistry.Rules, RampartTool.Info)
    {
        FolderAnalyzers = AnalyzerRegistry.CreateFolderAnalyzers(),
    };

    private static async Task<Core.Reporting.ScanReport> ScanAsync(string path, ScanPolicy policy) =>
        await DefaultScanner().ScanAsync([path], policy);

    private static (TempDirectory Temp, string Model, string PublicKey) SignedModel()
    {
        var temp = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var model = SignatureFixtures.WriteSignedModel(temp.Path, key);
        var publicKey = Path.Combine(temp.Path, "trusted.pub");
        File.WriteAllText(publicKey, KeyMaterial.PublicKeyPem(key));
        return (temp, model, publicKey);
    }

    private static ScanPolicy Requiring(string signedBy) => ScanPolicy.Default with { RequireSignature = new SignatureRequirement(signedBy) };

    [Fact]
    public async Task Scan_RequiredAndCorrectlySigned_PassesTheGate()
    {
        var (temp, model, publicKey) = SignedModel();
        using var _ = temp;

        var report = await ScanAsync(model, Requiring(publicKey));

        report.Findings.Where(f => f.RuleId.StartsWith("RAMP-SIG", StringComparison.Ordinal)).Should().BeEmpty();
        report.ExitCode.Should().Be(ExitCodes.Clean);
        report.Artifacts.Should().Contain(a => a.Facts.ContainsKey("signatures.subject"));
    }

    [Fact]
    public async Task Scan_RequiredButUnsigned_FailsWithSig001()
    {
        var (temp, model, publicKey) = SignedModel();
        using var _ = temp;
        File.Delete(Path.Combine(model, "model.sig"));

        var report = await ScanAsync(model, Requiring(publicKey));

        report.Findings.Should().Contain(f => f.RuleId == "RAMP-SIG-001" && f.Severity == Severity.High && f.Message.Contains("not signed", StringComparison.Ordinal));
        report.ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Scan_RequiredAndSignedByAnotherKey_FailsWithSig001()
    {
        var (temp, model, _) = SignedModel();
        using var __ = temp;
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherKey = Path.Combine(temp.Path, "other.pub");
        File.WriteAllText(otherKey, KeyMaterial.PublicKeyPem(other));

        var report = await ScanAsync(model, Requiring(otherKey));

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-SIG-001").Which.Message.Should().StartWith("key mismatch");
        report.ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Scan_RequiredAndTampered_FailsNamingTheFile()
    {
        var (temp, model, publicKey) = SignedModel();
        using var _ = temp;
        File.AppendAllText(Path.Combine(model, "tokenizer.txt"), "d\n");

        var report = await ScanAsync(model, Requiring(publicKey));

        var finding = report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-SIG-002").Subject;
        finding.Property("name").Should().Be("tokenizer.txt");
        finding.Verdict.Should().Be(Verdict.Malicious);
        report.ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Scan_RequiredSerializationDiffers_FailsWithSig001()
    {
        var (temp, model, publicKey) = SignedModel();
        using var _ = temp;

        var report = await ScanAsync(model, ScanPolicy.Default with { RequireSignature = new SignatureRequirement(publicKey, Serialization: "shards") });

        report.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-SIG-001").Which.Message.Should().Contain("requires 'shards'");
    }

    [Fact]
    public async Task Scan_NoPolicyFolderWithoutSignature_AnalyzerDoesNotRun()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), "{}");

        var report = await ScanAsync(temp.Path, ScanPolicy.Default);

        report.Artifacts.SelectMany(a => a.Facts.Keys).Should().NotContain(k => k.StartsWith("signatures.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("sig/valid", null)]
    [InlineData("sig/changed-file", "RAMP-SIG-002")]
    [InlineData("sig/missing-file", "RAMP-SIG-003")]
    [InlineData("sig/extra-file", "RAMP-SIG-004")]
    [InlineData("sig/broken-bundle", "RAMP-SIG-001")]
    public async Task Scan_NoPolicyFolderWithModelSig_ComparesFilesWithTheSignature(string fixtureId, string? expected)
    {
        using var temp = new TempDirectory();
        var path = FixtureCatalog.Get(fixtureId).Materialize(temp.Path);

        var report = await ScanAsync(path, ScanPolicy.Default);

        var ids = report.Findings.Select(f => f.RuleId).Where(id => id.StartsWith("RAMP-SIG", StringComparison.Ordinal)).ToList();
        if (expected is null)
        {
            ids.Should().BeEmpty();
            report.Artifacts.SelectMany(a => a.Facts).Should().Contain(f => f.Key == "signatures.trust" && f.Value.StartsWith("unverified", StringComparison.Ordinal));
        }
        else
        {
            ids.Should().Equal(expected);
        }
    }

    [Fact]
    public async Task Scan_RequiredOnASingleModelFile_ChecksItsSignatureBesideIt()
    {
        using var temp = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(temp.Path, "trusted.pub");
        File.WriteAllText(publicKey, KeyMaterial.PublicKeyPem(key));
        var model = Path.Combine(temp.Path, "weights.bin");
        File.WriteAllBytes(model, [1, 2, 3, 4, 5]);

        var unsigned = await ScanAsync(model, Requiring(publicKey));
        unsigned.Findings.Should().ContainSingle(f => f.RuleId == "RAMP-SIG-001" && f.ArtifactPath == model)
            .Which.Message.Should().Contain("not signed", "a lone file under a signature requirement is not waved through");
        unsigned.ExitCode.Should().Be(ExitCodes.Findings);
        unsigned.Artifacts.Where(a => a.Path == model).Should().ContainSingle("the file's own entry carries the finding");

        var manifest = ModelHasher.Hash(model, new HashingOptions(), CancellationToken.None);
        ModelSigner.Write(ModelSigner.SignWithKey(manifest, key), model + ".sig");
        var signed = await ScanAsync(model, Requiring(publicKey));
        signed.Findings.Where(f => f.RuleId.StartsWith("RAMP-SIG", StringComparison.Ordinal)).Should().BeEmpty();
        signed.Artifacts.Single(a => a.Path == model).Facts.Should().ContainKey("signatures.subject");

        File.WriteAllBytes(model, [1, 2, 3, 4, 6]);
        var tampered = await ScanAsync(model, Requiring(publicKey));
        tampered.Findings.Should().Contain(f => f.RuleId == "RAMP-SIG-002");
        tampered.ExitCode.Should().Be(ExitCodes.Findings);
    }

    [Fact]
    public async Task Scan_SingleFileWithoutRequirement_RunsNoSignatureCheck()
    {
        using var temp = new TempDirectory();
        var model = Path.Combine(temp.Path, "weights.bin");
        File.WriteAllBytes(model, [1, 2, 3]);

        var report = await ScanAsync(model, ScanPolicy.Default);

        report.Artifacts.Should().ContainSingle().Which.Formats.Should().NotContain("signatures");
    }
}
