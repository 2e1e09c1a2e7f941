using System.Security.Cryptography;
using System.Text;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Clients;

/// <summary>
/// `rampart scan FILE --upload` end to end: the real program in a child process against a real server on loopback.
/// The local report travels with the bytes and is recorded as the client's claim; the server's gate decides anyway.
/// </summary>
public sealed class ScanUploadTests
{
    [Fact]
    public async Task CleanAndHostileModels_AreScannedLocally_UploadedWithTheirReports_AndGatedByTheServer()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        var token = await dana.CreateTokenAsync("p", "read", "push");
        using var work = new TempDirectory();
        var url = server.Host.Address.ToString();
        var clean = Models.CleanSafetensors();
        await File.WriteAllBytesAsync(work.File("model.safetensors"), clean);
        await File.WriteAllBytesAsync(work.File("evil.pkl"), Models.HostilePickle());

        var ok = await RampartProcess.RunAsync(token, work.Path, "scan", "model.safetensors", "--format", "json", "--upload", "--server", url, "--project", "p", "--artifact", "m", "--version", "1", "--wait");
        ok.ExitCode.Should().Be(0, ok.Error);
        System.Text.Json.Nodes.JsonNode.Parse(ok.Output)!["verdict"]!.GetValue<string>().Should().Be("clean", "stdout keeps the local report");
        ok.Error.Should().Contain("uploaded m@1").And.Contain("server gate: pending-review");

        // Local findings: still uploaded (the server quarantines and keeps the findings), exit 1 as a plain scan would.
        var bad = await RampartProcess.RunAsync(token, work.Path, "scan", "evil.pkl", "--upload", "--server", url, "--project", "p", "--artifact", "m", "--version", "2", "--wait");
        bad.ExitCode.Should().Be(1, bad.Error);
        bad.Error.Should().Contain("server gate: quarantined");

        // The ledger holds the client's claim (with its report as a blob) beside the server's own scan.
        var records = (await RampartProcess.VerifiedLedgerAsync(Server.ServerHost.LedgerLocation(server.Options))).Values;
        var cleanDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(clean));
        var scans = records.Where(r => r.Kind.Name == "scan" && r.Text("artifact") == cleanDigest).ToList();
        scans.Select(r => r.Text("tool")!.Contains("client report from dana", StringComparison.Ordinal)).Should().Equal(true, false);
        scans.Should().OnlyContain(r => r.Text("verdict") == "clean");
        var blobs = new Server.Registry.BlobStore(server.DataDirectory);
        var kept = await File.ReadAllTextAsync(blobs.PathOf(scans[0].Text("report")!));
        System.Text.Json.Nodes.JsonNode.Parse(kept)!["artifacts"]![0]!["length"]!.GetValue<long>().Should().Be(clean.Length);
        records.Where(r => r.Kind.Name == "scan" && r.Text("tool")!.Contains("client", StringComparison.Ordinal)).Select(r => r.Text("verdict")).Should().Equal("clean", "malicious");
    }

    [Fact]
    public async Task CiFailures_AreExitCodes_NotStackTraces()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var viewer = await server.UserAsync("vic", "p", "viewer");
        var readOnly = await viewer.CreateTokenAsync("p", "read");
        using var work = new TempDirectory();
        await File.WriteAllBytesAsync(work.File("model.safetensors"), Models.CleanSafetensors());
        var url = server.Host.Address.ToString();
        string[] target = ["scan", "model.safetensors", "--upload", "--server", url, "--artifact", "m", "--version", "1"];

        var missing = await RampartProcess.RunAsync(readOnly, work.Path, target);
        missing.ExitCode.Should().Be(3, "--project is missing");
        missing.Error.Should().Contain("--project");

        var stray = await RampartProcess.RunAsync(readOnly, work.Path, "scan", "model.safetensors", "--project", "p");
        stray.ExitCode.Should().Be(3);
        stray.Error.Should().Contain("only goes with --upload");

        var noToken = await RampartProcess.RunAsync(null, work.Path, [.. target, "--project", "p"]);
        noToken.ExitCode.Should().Be(3);
        noToken.Error.Should().Contain("RAMPART_TOKEN");

        var refused = await RampartProcess.RunAsync(readOnly, work.Path, [.. target, "--project", "p"]);
        refused.ExitCode.Should().Be(4, "a read-only token cannot push");
        refused.Error.Should().Contain("upload failed: server answered 403").And.NotContain("   at ");

        var unreachable = await RampartProcess.RunAsync(readOnly, work.Path, "scan", "model.safetensors", "--upload", "--server", "http://127.0.0.1:9", "--project", "p", "--artifact", "m", "--version", "1");
        unreachable.ExitCode.Should().Be(4);
        unreachable.Error.Should().Contain("cannot reach the server");
    }

    [Fact]
    public async Task Server_RefusesReportsThatAreNotAboutTheUpload()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        var model = Models.CleanSafetensors();
        var id = (await dana.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.safetensors", size = model.Length })).EnsureCreated().Json["upload"]!.GetValue<string>();
        (await dana.PatchAsync("p", id, 0, model)).EnsureOk();

        async Task<ApiResponse> PutReport(string json) =>
            await dana.SendAsync(HttpMethod.Put, $"/api/v1/projects/p/uploads/{id}/report", new StringContent(json, Encoding.UTF8, "application/json"));

        (await PutReport("not json")).Json["error"]!.GetValue<string>().Should().Be("bad_report");
        (await PutReport("""{"schemaVersion":"1.0.0","tool":{"name":"other","version":"1"},"verdict":"clean","artifacts":[]}""")).Code.Should().Be(400);
        (await PutReport("""{"schemaVersion":"1.0.0","tool":{"name":"rampart","version":"1"},"verdict":"fine","artifacts":[]}""")).Code.Should().Be(400);
        (await PutReport("""{"schemaVersion":"1.0.0","tool":{"name":"rampart","version":"1"},"verdict":"clean","artifacts":[{"parent":null,"length":1},{"parent":null,"length":2}]}""")).Code.Should().Be(400);

        // Well formed but about another file: accepted for now, refused at completion (the upload stays resumable).
        (await PutReport("""{"schemaVersion":"1.0.0","tool":{"name":"rampart","version":"1"},"verdict":"clean","artifacts":[{"parent":null,"length":3}]}""")).EnsureOk();
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(model));
        var mismatch = await dana.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { digest });
        mismatch.Code.Should().Be(422);
        mismatch.Json["error"]!.GetValue<string>().Should().Be("report_mismatch");

        (await PutReport($$"""{"schemaVersion":"1.0.0","tool":{"name":"rampart","version":"1"},"verdict":"needs-review","artifacts":[{"parent":null,"length":{{model.Length}}}]}""")).EnsureOk();
        (await dana.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { digest })).EnsureCreated();
        await dana.WaitForGateAsync("p", "m", "1");
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "uploads")).Should().BeEmpty("the report waits beside the upload only until completion");
        var records = (await RampartProcess.VerifiedLedgerAsync(Server.ServerHost.LedgerLocation(server.Options))).Values;
        records.Should().ContainSingle(r => r.Kind.Name == "scan" && r.Text("verdict") == "needs-review" && r.Text("tool") == "rampart 1 (client report from dana)");
    }
}
