using System.Security.Cryptography;

namespace Rampart.Server.Tests.Registry;

/// <summary>Resumable chunked uploads and the content-addressed store.</summary>
public sealed class UploadTests
{
    [Fact]
    public async Task BrokenUpload_ResumesFromTheServersOffset_AndWrongOffsetsAreRefused()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var model = Models.CleanSafetensors();
        var id = (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.safetensors", size = model.Length })).EnsureCreated().Json["upload"]!.GetValue<string>();
        (await scientist.PatchAsync("p", id, 0, model[..50])).EnsureOk();

        // The client lost track: it asks where to go on, a wrong offset is refused with the right one.
        var status = (await scientist.GetAsync($"/api/v1/projects/p/uploads/{id}")).EnsureOk();
        status.Json["offset"]!.GetValue<long>().Should().Be(50);
        status.Headers.GetValues("Upload-Offset").Should().Equal("50");
        (await scientist.PatchAsync("p", id, 0, model[..50])).Code.Should().Be(409);
        (await scientist.PatchAsync("p", id, 60, model[60..])).Code.Should().Be(409);

        // Completing early is refused; the rest then completes it.
        (await scientist.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { })).Code.Should().Be(409);
        (await scientist.PatchAsync("p", id, 50, model[50..])).EnsureOk();
        var done = (await scientist.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(model)) })).EnsureCreated();
        done.Json["state"]!.GetValue<string>().Should().Be("scanning");
        (await scientist.GetAsync($"/api/v1/projects/p/uploads/{id}")).Code.Should().Be(404, "a completed upload is gone");
    }

    [Fact]
    public async Task DigestMismatch_IsRefused_AndNothingIsStored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var id = (await scientist.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.bin" })).EnsureCreated().Json["upload"]!.GetValue<string>();
        (await scientist.PatchAsync("p", id, 0, [1, 2, 3])).EnsureOk();
        var refused = await scientist.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { digest = "sha256:" + new string('0', 64) });
        refused.Code.Should().Be(422);
        (await scientist.GetAsync("/api/v1/projects/p/artifacts")).Json.AsArray().Should().BeEmpty();
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Fact]
    public async Task SameContentUploadedConcurrently_IsStoredOnce()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var scientist = await server.UserAsync("dana", "p", "data-scientist");
        var model = new byte[300_000];
        new Random(3).NextBytes(model);
        var uploads = Enumerable.Range(0, 6).Select(i => scientist.UploadAsync("p", "m", $"v{i}", "weights.bin", model, chunk: 64 * 1024, kind: "dataset")).ToList();
        foreach (var response in await Task.WhenAll(uploads))
        {
            response.EnsureCreated();
        }

        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(model));
        var versions = (await scientist.GetAsync("/api/v1/projects/p/artifacts/m/versions")).EnsureOk().Json.AsArray();
        versions.Should().HaveCount(6).And.OnlyContain(v => v!["digest"]!.GetValue<string>() == digest);
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "blobs"), "*", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length == model.Length).Should().ContainSingle();
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "uploads")).Should().BeEmpty();
    }

    [Fact]
    public async Task Upload_IsVisibleToItsUploaderOnly_AndExpires()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var eve = await server.UserAsync("eve", "p", "data-scientist");
        var id = (await dana.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.bin" })).EnsureCreated().Json["upload"]!.GetValue<string>();
        (await eve.PatchAsync("p", id, 0, [1])).Code.Should().Be(404);
        server.Time.Advance(TimeSpan.FromHours(25));
        (await dana.GetAsync($"/api/v1/projects/p/uploads/{id}")).Code.Should().Be(401, "the 8-hour session ended too");
        (await dana.LoginAsync(TestServer.Password)).EnsureOk();
        (await dana.GetAsync($"/api/v1/projects/p/uploads/{id}")).Code.Should().Be(410);
    }
}
