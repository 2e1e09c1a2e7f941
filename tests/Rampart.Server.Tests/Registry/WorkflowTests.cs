using System.Security.Cryptography;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Registry;

/// <summary>The registry's life cycle over real HTTP, on SQLite and on the PostgreSQL of .ci/run.</summary>
public sealed class WorkflowTests
{
    [Fact]
    public Task HostileStaysQuarantined_CleanSignedIsReleasedBySecondUser_Sqlite() => HostileAndCleanAsync(postgres: false);

    [PostgresFact]
    public Task HostileStaysQuarantined_CleanSignedIsReleasedBySecondUser_Postgres() => HostileAndCleanAsync(postgres: true);

    private static async Task HostileAndCleanAsync(bool postgres)
    {
        await using var server = await TestServer.StartAsync(postgres);
        await server.CreateProjectAsync("fraud");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var admin = await server.AdminAsync();
        (await admin.PostAsync("/api/v1/projects/fraud/keys", new { name = "ci-key", pem = Models.PublicPem(key) })).EnsureCreated();
        using var scientist = await server.UserAsync("dana", "fraud", "data-scientist");
        using var reviewer = await server.UserAsync("rita", "fraud", "security-reviewer", mfa: true);
        using var reviewerWhoUploads = await server.UserAsync("uma", "fraud", "admin", mfa: true);

        // A hostile pickle: quarantined with the scanner's findings; approval refused, whoever asks.
        var hostile = Models.HostilePickle();
        (await scientist.UploadAsync("fraud", "scorer", "1.0", "model.pkl", hostile, Models.Sign(hostile, "model.pkl", key))).EnsureCreated();
        var hostileDetail = await reviewer.WaitForGateAsync("fraud", "scorer", "1.0");
        hostileDetail["version"]!["state"]!.GetValue<string>().Should().Be("quarantined");
        hostileDetail["scan"]!.GetValue<string>().Should().Be("malicious");
        hostileDetail["findings"]!.AsArray().Select(f => f!["source"]!.GetValue<string>()).Should().Contain("scan");
        (await reviewer.PostAsync("/api/v1/projects/fraud/artifacts/scorer/versions/1.0/approve", new { note = "looks fine" })).Code.Should().Be(409);
        (await scientist.GetAsync("/api/v1/projects/fraud/artifacts/scorer/versions/1.0/content")).Code.Should().Be(409);

        // A clean, signed model: pending review; the uploader (an admin with MFA) cannot approve their own upload.
        var clean = Models.CleanSafetensors();
        (await reviewerWhoUploads.UploadAsync("fraud", "scorer", "2.0", "model.safetensors", clean, Models.Sign(clean, "model.safetensors", key))).EnsureCreated();
        var cleanDetail = await reviewer.WaitForGateAsync("fraud", "scorer", "2.0");
        cleanDetail["version"]!["state"]!.GetValue<string>().Should().Be("pending-review", cleanDetail.ToJsonString());
        cleanDetail["signature"]!.GetValue<string>().Should().Be("verified");
        var own = await reviewerWhoUploads.PostAsync("/api/v1/projects/fraud/artifacts/scorer/versions/2.0/approve", new { note = "mine" });
        own.Code.Should().Be(403);
        own.Json["error"]!.GetValue<string>().Should().Be("two_person_rule");

        var approved = (await reviewer.PostAsync("/api/v1/projects/fraud/artifacts/scorer/versions/2.0/approve", new { note = "reviewed" })).EnsureOk();
        approved.Json["state"]!.GetValue<string>().Should().Be("released");
        (await scientist.DownloadAsync("/api/v1/projects/fraud/artifacts/scorer/versions/2.0/content")).Should().Equal(clean);

        // Every state change is a signed ledger record, and the ledger verifies.
        var records = (await RampartProcess.VerifiedLedgerAsync(Server.ServerHost.LedgerLocation(server.Options))).Values;

        var cleanDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(clean));
        records.Where(r => r.References().Any(x => x.Digest == cleanDigest)).Select(r => r.Kind.Name + ":" + (r.Text("event") ?? r.Text("decision") ?? r.Text("verdict")))
            .Should().Equal("registry:uploaded", "scan:clean", "registry:scanned", "approval:approved");
    }

    [Fact]
    public async Task UnsignedModel_InProjectWithTrustedKeys_IsQuarantined()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        (await (await server.AdminAsync()).PostAsync("/api/v1/projects/p/keys", new { name = "k", pem = Models.PublicPem(key) })).EnsureCreated();
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var clean = Models.CleanSafetensors();
        (await scientist.UploadAsync("p", "m", "unsigned", "model.safetensors", clean)).EnsureCreated();
        (await scientist.UploadAsync("p", "m", "wrong-key", "model.safetensors", clean, Models.Sign(clean, "model.safetensors", other))).EnsureCreated();
        var tampered = Models.CleanSafetensors(seed: 7);
        (await scientist.UploadAsync("p", "m", "tampered", "model.safetensors", tampered, Models.Sign(clean, "model.safetensors", key))).EnsureCreated();

        var unsigned = await scientist.WaitForGateAsync("p", "m", "unsigned");
        unsigned["version"]!["state"]!.GetValue<string>().Should().Be("quarantined");
        unsigned["signature"]!.GetValue<string>().Should().Be("unsigned");
        foreach (var label in new[] { "wrong-key", "tampered" })
        {
            var detail = await scientist.WaitForGateAsync("p", "m", label);
            detail["version"]!["state"]!.GetValue<string>().Should().Be("quarantined", label);
            detail["signature"]!.GetValue<string>().Should().Be("failed", label);
        }
    }

    [Fact]
    public async Task UnrecognisedModelBytes_AreInconclusive_NotClean()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        (await scientist.UploadAsync("p", "m", "1", "weights.bin", RandomNumberGenerator.GetBytes(4096))).EnsureCreated();
        var detail = await scientist.WaitForGateAsync("p", "m", "1");
        detail["version"]!["state"]!.GetValue<string>().Should().Be("quarantined");
        detail["scan"]!.GetValue<string>().Should().Be("inconclusive");
    }

    [Fact]
    public async Task Requirements_AreAudited_AndATyposquatQuarantines()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var clean = Models.CleanSafetensors();
        (await scientist.UploadAsync("p", "m", "pinned", "model.safetensors", clean, requirements: "numpy==2.1.0\n")).EnsureCreated();
        (await scientist.UploadAsync("p", "m", "loose", "model.safetensors", clean, requirements: "--extra-index-url http://evil.example/simple\nnumpy\n")).EnsureCreated();
        var pinned = await scientist.WaitForGateAsync("p", "m", "pinned");
        pinned["audit"]!.GetValue<string>().Should().NotBe("none");
        var loose = await scientist.WaitForGateAsync("p", "m", "loose");
        loose["findings"]!.AsArray().Where(f => f!["source"]!.GetValue<string>() == "audit").Should().NotBeEmpty(loose.ToJsonString());
    }

    [Fact]
    public async Task Revocation_ReachesAPollingGateway_AndStopsDownloads()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        using var reviewer = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        using var viewer = await server.UserAsync("vic", "p", "viewer");
        var clean = Models.CleanSafetensors();
        (await scientist.UploadAsync("p", "m", "1", "model.safetensors", clean)).EnsureCreated();
        await reviewer.WaitForGateAsync("p", "m", "1");
        (await reviewer.PostAsync("/api/v1/projects/p/artifacts/m/versions/1/approve", new { })).EnsureOk();
        using var gateway = ApiClient.WithToken(server, await viewer.CreateTokenAsync("p", "read"));

        var first = (await gateway.GetAsync("/api/v1/projects/p/revocations")).EnsureOk();
        first.Json["revocations"]!.AsArray().Should().BeEmpty();
        var cursor = first.Json["next"]!.GetValue<long>();

        // A long poll waits; the revocation wakes it.
        var poll = gateway.GetAsync($"/api/v1/projects/p/revocations?after={cursor}&wait=30");
        await Task.Delay(300);
        poll.IsCompleted.Should().BeFalse();
        (await reviewer.PostAsync("/api/v1/projects/p/artifacts/m/versions/1/revoke", new { reason = "weights leaked" })).EnsureOk();
        var woke = (await poll).EnsureOk();
        var revoked = woke.Json["revocations"]!.AsArray().Single()!;
        revoked["digest"]!.GetValue<string>().Should().Be("sha256:" + Convert.ToHexStringLower(SHA256.HashData(clean)));
        revoked["reason"]!.GetValue<string>().Should().Be("weights leaked");
        (await gateway.GetAsync($"/api/v1/projects/p/revocations?after={woke.Json["next"]}")).Json["revocations"]!.AsArray().Should().BeEmpty();
        (await viewer.GetAsync("/api/v1/projects/p/artifacts/m/versions/1/content")).Code.Should().Be(409);
    }

    [Fact]
    public async Task CorruptedBlob_IsNeverServed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        using var reviewer = await server.UserAsync("rita", "p", "security-reviewer", mfa: true);
        var clean = Models.CleanSafetensors();
        (await scientist.UploadAsync("p", "m", "1", "model.safetensors", clean)).EnsureCreated();
        await reviewer.WaitForGateAsync("p", "m", "1");
        (await reviewer.PostAsync("/api/v1/projects/p/artifacts/m/versions/1/approve", new { })).EnsureOk();
        var blob = Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories)
            .Single(f => new FileInfo(f).Length == clean.Length);
        var bytes = File.ReadAllBytes(blob);
        bytes[^1] ^= 0xFF;
        File.Delete(blob);
        File.WriteAllBytes(blob, bytes);
        var response = await scientist.GetAsync("/api/v1/projects/p/artifacts/m/versions/1/content");
        response.Code.Should().Be(500);
        response.Json["error"]!.GetValue<string>().Should().Be("blob_corrupted");
    }
}
