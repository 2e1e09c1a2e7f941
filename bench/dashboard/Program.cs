using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using Rampart.Server;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Registry;

// Seeds a server with VERSIONS model versions (bulk insert through EF Core, 10% quarantined with findings, 60%
// signed), then requests every dashboard page ROUNDS times over HttpClient with an administrator's TOTP session and
// prints p50/p95 per page next to GET /healthz measured the same way in the same run. Not a test: a measurement.
var versions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var data = Directory.CreateTempSubdirectory("rampart-dashboard-bench-");
const string Password = "bench-admin-password";
try
{
    await using var host = await ServerHost.StartAsync(new ServerOptions { DataDirectory = data.FullName, Listen = "http://127.0.0.1:0", AdminPassword = Password });
    using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = host.Address };
    string? cookie = null;
    string? csrf = null;

    async Task<JsonNode> Post(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
            request.Headers.Add("X-CSRF-Token", csrf);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
        }

        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            cookie = set.Select(c => c.Split(';')[0]).First(c => c.StartsWith("__Host-rampart=", StringComparison.Ordinal));
        }

        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    // An administrator with TOTP (admin pages need it).
    csrf = (await Post("/api/v1/auth/login", new { userName = "admin", password = Password }))["csrfToken"]!.GetValue<string>();
    var secret = Base32Encoding.ToBytes((await Post("/api/v1/account/mfa/enroll", new { }))["secret"]!.GetValue<string>());
    csrf = (await Post("/api/v1/account/mfa/confirm", new { code = new Totp(secret).ComputeTotp(DateTime.UtcNow) }))["csrfToken"]!.GetValue<string>();
    await Post("/api/v1/projects", new { name = "bench" });

    // Bulk seed: artifacts, versions, incidents (the ledger is not involved: pages read the database).
    var seed = Stopwatch.StartNew();
    using (var scope = host.Services.CreateScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<ServerDb>();
        var project = db.Projects.Single(p => p.Name == "bench");
        var artifacts = Enumerable.Range(0, 100).Select(i => new RegistryArtifact { ProjectId = project.Id, Name = $"model-{i:000}", Kind = i % 10 == 0 ? "dataset" : "model" }).ToList();
        db.Artifacts.AddRange(artifacts);
        await db.SaveChangesAsync();
        var findings = ArtifactGate.ToJson([
            new GateFinding("scan", "RAMP-PKL-001", "critical", "the pickle imports os.system", "model.pkl"),
            new GateFinding("scan", "RAMP-PKL-002", "high", "the pickle imports an unknown global", "model.pkl"),
            new GateFinding("audit", "unpinned", "medium", "requirement torch is not pinned", "requirements.txt"),
        ]);
        var start = DateTimeOffset.UtcNow.AddDays(-60);
        for (var batch = 0; batch < versions; batch += 1000)
        {
            for (var i = batch; i < Math.Min(versions, batch + 1000); i++)
            {
                var state = (i % 10) switch { 0 => VersionStates.Quarantined, 1 or 2 => VersionStates.PendingReview, 3 => VersionStates.Rejected, _ => VersionStates.Released };
                var at = start.AddMinutes(i * 60.0 * 24 * 60 / versions);
                db.Versions.Add(new ArtifactVersion
                {
                    ArtifactId = artifacts[i % 100].Id, ProjectId = project.Id, Label = $"1.{i}", Digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i))),
                    Size = 1000 + i, FileName = "model.safetensors", State = state, UploaderId = "seed", UploaderName = "seed",
                    ScanVerdict = state == VersionStates.Quarantined ? "malicious" : "clean", SignatureStatus = i % 5 < 3 ? "verified" : "unsigned", AuditVerdict = "none",
                    FindingsJson = state == VersionStates.Quarantined ? findings : "[]", CreatedAt = at, UpdatedAt = at,
                });
            }

            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }

        for (var i = 0; i < 50; i++)
        {
            db.Incidents.Add(new Incident { ProjectId = project.Id, Type = "model-compromise", Title = $"incident {i}", Severity = "high", State = i % 2 == 0 ? "open" : "closed", Source = "manual", OpenedBy = "seed", ChecklistJson = "[]", RecordSubject = "sha256:" + new string('0', 64), OpenedAt = start });
        }

        await db.SaveChangesAsync();
    }

    seed.Stop();
    var incidentId = 1;
    string[] pages =
    [
        "/healthz", "/ui/", "/ui/projects/bench", "/ui/projects/bench/queue", "/ui/projects/bench/artifacts/model-003/versions/1.3",
        "/ui/projects/bench/artifacts/model-000/versions/1.0", "/ui/projects/bench/incidents", $"/ui/projects/bench/incidents/{incidentId}",
        "/ui/account", "/ui/admin", "/ui/ledger", "/ui/rules/RAMP-PKL-001",
    ];
    Console.WriteLine($"seeded {versions} versions in 100 artifacts and 50 incidents in {seed.Elapsed.TotalSeconds:0.0} s; {rounds} requests per page after 5 warm-up requests");
    Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();
    Console.WriteLine("| page | status | p50 ms | p95 ms | max ms | p95 / healthz p95 |");
    Console.WriteLine("|---|---|---|---|---|---|");
    double? healthP95 = null;
    foreach (var page in pages)
    {
        var times = new List<double>();
        var status = 0;
        for (var i = 0; i < rounds + 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, page);
            request.Headers.Add("Cookie", cookie);
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            _ = await response.Content.ReadAsByteArrayAsync();
            clock.Stop();
            status = (int)response.StatusCode;
            if (i >= 5)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        var p50 = times[(int)(times.Count * 0.50)];
        var p95 = times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.95) - 1)];
        healthP95 ??= p95;
        Console.WriteLine($"| `{page}` | {status} | {p50:0.0} | {p95:0.0} | {times[^1]:0.0} | {p95 / healthP95.Value:0.0}x |");
    }

    Console.WriteLine();
    Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
}
finally
{
    data.Delete(recursive: true);
}
