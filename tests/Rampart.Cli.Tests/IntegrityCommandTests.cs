using System.Security.Cryptography;
using System.Text.Json;
using Rampart.Core;
using Rampart.TestKit;

namespace Rampart.Cli.Tests;

/// <summary>hash, sign, verify and keygen run in-process end to end.</summary>
public sealed class IntegrityCommandTests
{
    private static string Oms => SharedData.Path("oms");

    private static string P256 => Path.Combine(Oms, "p256");

    private static TempDirectory ModelFolder(out string model)
    {
        var temp = new TempDirectory();
        model = Path.Combine(temp.Path, "model");
        Directory.CreateDirectory(Path.Combine(model, "sub"));
        File.WriteAllText(Path.Combine(model, "config.json"), "{\"a\": 1}");
        File.WriteAllBytes(Path.Combine(model, "sub", "weights.bin"), new byte[3000]);
        return temp;
    }

    [SharedDataFact("oms")]
    public async Task Hash_P256Model_PrintsReadmeDigest()
    {
        var files = await CliRunner.RunAsync(["hash", Path.Combine(P256, "model")]);
        var shards = await CliRunner.RunAsync(["hash", "--serialization", "shards", "--shard_size", "1000", Path.Combine(P256, "model")]);

        files.ExitCode.Should().Be(ExitCodes.Clean);
        files.Stdout.Trim().Should().Be("sha256:c58c104f7fe48952aca6546b8924a051acb0d5ef8a23cff49779b43b7317b99c");
        shards.Stdout.Trim().Should().Be("sha256:dceac3a0f139cadb38690bc0d03fdeaa553c7e2e67ddf4f2e69d7cdd6bc45cb6");
    }

    [Fact]
    public async Task Hash_JsonFormat_ListsResourcesInCanonicalOrder()
    {
        using var temp = ModelFolder(out var model);

        var run = await CliRunner.RunAsync(["hash", "--format", "json", model]);

        using var json = JsonDocument.Parse(run.Stdout);
        json.RootElement.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString()).Should().Equal("config.json", "sub/weights.bin");
    }

    [Fact]
    public async Task Hash_MissingModel_ExitsUsageError()
    {
        var run = await CliRunner.RunAsync(["hash", "/nonexistent/model"]);

        run.ExitCode.Should().Be(ExitCodes.UsageError);
        run.Stderr.Should().Contain("does not exist");
    }

    [Fact]
    public async Task KeygenSignVerify_RoundTrip_SucceedsThenNamesTamperedFileWithExit4()
    {
        using var temp = ModelFolder(out var model);
        var prefix = Path.Combine(temp.Path, "key");
        var signature = Path.Combine(temp.Path, "model.sig");

        var keygen = await CliRunner.RunAsync(["keygen", "--curve", "p384", "--out", prefix]);
        var sign = await CliRunner.RunAsync(["sign", "key", "--private-key", prefix + ".pem", "--signature", signature, model]);
        var ok = await CliRunner.RunAsync(["verify", "key", "--signature", signature, "--public-key", prefix + ".pub", model]);
        File.WriteAllText(Path.Combine(model, "config.json"), "{\"a\": 2}");
        File.WriteAllText(Path.Combine(model, "new.py"), "x = 1");
        var bad = await CliRunner.RunAsync(["verify", "key", "--signature", signature, "--public-key", prefix + ".pub", model]);
        var sarif = await CliRunner.RunAsync(["verify", "key", "--signature", signature, "--public-key", prefix + ".pub", "--format", "sarif", model]);

        keygen.ExitCode.Should().Be(ExitCodes.Clean);
        sign.ExitCode.Should().Be(ExitCodes.Clean, sign.Stderr);
        sign.Stdout.Should().Contain("Signing succeeded");
        ok.ExitCode.Should().Be(ExitCodes.Clean, ok.Stdout);
        ok.Stdout.Should().Contain("ok      dsse signature").And.Contain("Verification succeeded");
        bad.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        bad.Stdout.Should().Contain("changed file: config.json").And.Contain("extra file not covered by the signature: new.py")
            .And.Contain("RAMP-SIG-002").And.Contain("RAMP-SIG-004");
        sarif.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        using var sarifJson = JsonDocument.Parse(sarif.Stdout);
        sarifJson.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("ruleId").GetString()).Should().BeEquivalentTo(["RAMP-SIG-002", "RAMP-SIG-004"]);
    }

    [Fact]
    public async Task SignInsideModel_SignatureIsLeftOutAndRecorded()
    {
        using var temp = ModelFolder(out var model);
        var prefix = Path.Combine(temp.Path, "key");
        await CliRunner.RunAsync(["keygen", "--out", prefix]);

        var sign = await CliRunner.RunAsync(["sign", "key", "--private_key", prefix + ".pem", "--signature", Path.Combine(model, "model.sig"), model]);
        var verify = await CliRunner.RunAsync(["verify", "key", "--signature", Path.Combine(model, "model.sig"), "--public_key", prefix + ".pub", "-f", "json", model]);

        sign.ExitCode.Should().Be(ExitCodes.Clean, sign.Stderr);
        verify.ExitCode.Should().Be(ExitCodes.Clean, verify.Stdout);
        var statement = Rampart.Integrity.Signing.Statement.Read(Rampart.Integrity.Signing.SigstoreBundle.ReadFile(Path.Combine(model, "model.sig")).Payload.AsSpan());
        statement.Serialization.IgnorePaths.Should().Contain("model.sig");
        statement.Resources.Select(r => r.Name).Should().NotContain("model.sig");
    }

    [SharedDataFact("oms")]
    public async Task SignAndVerifyCertificate_UpstreamKeys_Succeed()
    {
        using var temp = ModelFolder(out var model);
        var keys = Path.Combine(Oms, "upstream", "keys");
        var signature = Path.Combine(temp.Path, "model.sig");

        var sign = await CliRunner.RunAsync(["sign", "certificate", "--private-key", Path.Combine(keys, "signing-key.pem"),
            "--signing-certificate", Path.Combine(keys, "signing-key-cert.pem"), "--certificate-chain", Path.Combine(keys, "int-ca-cert.pem"), "--signature", signature, model]);
        var verify = await CliRunner.RunAsync(["verify", "certificate", "--signature", signature, "--certificate-chain", Path.Combine(keys, "ca-cert.pem"), model]);
        var wrongRoot = await CliRunner.RunAsync(["verify", "certificate", "--signature", signature, "--certificate_chain", Path.Combine(keys, "signing-key-cert.pem"), model]);

        sign.ExitCode.Should().Be(ExitCodes.Clean, sign.Stderr);
        verify.ExitCode.Should().Be(ExitCodes.Clean, verify.Stdout);
        verify.Stdout.Should().Contain("chains to 'CN=root-ca'");
        wrongRoot.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        wrongRoot.Stdout.Should().Contain("FAILED  certificate chain");
    }

    [Fact]
    public async Task Verify_MalformedSignature_Exit4WithClearMessage()
    {
        using var temp = ModelFolder(out var model);
        var prefix = Path.Combine(temp.Path, "key");
        await CliRunner.RunAsync(["keygen", "--out", prefix]);
        File.WriteAllText(Path.Combine(temp.Path, "bad.sig"), "{ not json");

        var run = await CliRunner.RunAsync(["verify", "key", "--signature", Path.Combine(temp.Path, "bad.sig"), "--public-key", prefix + ".pub", model]);

        run.ExitCode.Should().Be(ExitCodes.VerificationFailed);
        run.Stdout.Should().Contain("FAILED  bundle: the signature file is not valid JSON");
    }

    [Fact]
    public async Task AllCommands_NeverPrintPrivateKeyMaterialOrPassword()
    {
        using var temp = ModelFolder(out var model);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string password = "pw-Zq81-never-printed";
        var encrypted = key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
        File.WriteAllText(Path.Combine(temp.Path, "enc.pem"), encrypted);
        var prefix = Path.Combine(temp.Path, "plain");
        var secrets = new List<string> { password, Convert.ToBase64String(key.ExportECPrivateKey())[..24], Convert.ToBase64String(key.ExportPkcs8PrivateKey())[..24] };
        var runs = new List<CliRun>
        {
            await CliRunner.RunAsync(["keygen", "--out", prefix]),
            await CliRunner.RunAsync(["sign", "key", "--private-key", Path.Combine(temp.Path, "enc.pem"), "--password", password, "--signature", Path.Combine(temp.Path, "a.sig"), model]),
            await CliRunner.RunAsync(["sign", "key", "--private-key", Path.Combine(temp.Path, "enc.pem"), "--password", "wrong-" + password, "--signature", Path.Combine(temp.Path, "b.sig"), model]),
            await CliRunner.RunAsync(["sign", "key", "--private-key", Path.Combine(temp.Path, "enc.pem"), model]),
            await CliRunner.RunAsync(["sign", "key", "--private-key", prefix + ".pem", "--signature", Path.Combine(temp.Path, "c.sig"), model]),
            await CliRunner.RunAsync(["verify", "key", "--signature", Path.Combine(temp.Path, "c.sig"), "--public-key", prefix + ".pem", model]),
        };
        var generated = File.ReadAllText(prefix + ".pem");
        secrets.Add(generated.Split('\n')[1]);

        runs[1].ExitCode.Should().Be(ExitCodes.Clean, runs[1].Stderr);
        runs[2].ExitCode.Should().Be(ExitCodes.UsageError);
        runs[3].Stderr.Should().Contain("encrypted");
        foreach (var run in runs)
        {
            foreach (var secret in secrets)
            {
                (run.Stdout + run.Stderr).Should().NotContain(secret);
            }

            (run.Stdout + run.Stderr).Should().NotContain("PRIVATE KEY-----");
        }

        foreach (var sig in Directory.GetFiles(temp.Path, "*.sig"))
        {
            var text = File.ReadAllText(sig);
            secrets.Should().OnlyContain(s => !text.Contains(s, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Keygen_PrivateKeyIsOwnerOnlyAndNotOverwritten()
    {
        using var temp = new TempDirectory();
        var prefix = Path.Combine(temp.Path, "k");

        var first = await CliRunner.RunAsync(["keygen", "--out", prefix]);
        var second = await CliRunner.RunAsync(["keygen", "--out", prefix]);

        first.ExitCode.Should().Be(ExitCodes.Clean);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(prefix + ".pem").Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        second.ExitCode.Should().Be(ExitCodes.UsageError);
        second.Stderr.Should().Contain("already exists");
    }

    [Fact]
    public async Task ScanWithRequirePolicy_UnsignedFails_SignedPasses()
    {
        using var temp = ModelFolder(out var model);
        var prefix = Path.Combine(temp.Path, "key");
        await CliRunner.RunAsync(["keygen", "--out", prefix]);
        var policy = Path.Combine(temp.Path, "rampart.yaml");
        File.WriteAllText(policy, "version: 1\nrequire:\n  signed-by: key.pub\n");

        var unsigned = await CliRunner.RunAsync(["scan", "--policy", policy, model]);
        await CliRunner.RunAsync(["sign", "key", "--private-key", prefix + ".pem", "--signature", Path.Combine(model, "model.sig"), model]);
        var signed = await CliRunner.RunAsync(["scan", "--policy", policy, model]);

        unsigned.ExitCode.Should().Be(ExitCodes.Findings);
        unsigned.Stdout.Should().Contain("RAMP-SIG-001");
        signed.Stdout.Should().NotContain("RAMP-SIG");
        signed.ExitCode.Should().NotBe(ExitCodes.Findings, signed.Stdout);
    }
}
