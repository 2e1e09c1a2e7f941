using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Rampart.Gateway.Auth;
using Rampart.Guard.Audit;
using Rampart.TestKit;

namespace Rampart.Gateway.Tests;

/// <summary>
/// kill -9 of a real gateway process (`rampart gateway run`) under concurrent load: every request the client got a
/// complete answer for must be in the audit log after a restart, and the chain must verify.
/// </summary>
public sealed class CrashDurabilityTests
{
    /// <summary>0: fsync before each answer; 200: written before each answer, fsynced within 200 ms (a process crash still loses nothing).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    public async Task Kill9UnderLoad_LosesNoAcknowledgedAuditEntry(int commitIntervalMs)
    {
        await using var upstream = await StubUpstream.StartAsync();
        using var temp = new TempDirectory();
        var (store, key, _) = new ApiKeyStore([]).Create("alice", ["analyst"], [], DateTimeOffset.UtcNow, null);
        store.Save(Path.Combine(temp.Path, "keys.json"));
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(temp.Path, "gateway.yaml"), $$"""
            listen: http://127.0.0.1:{{port}}
            auth: { apiKeys: keys.json }
            audit: { directory: audit, bodies: redacted, commitIntervalMs: {{commitIntervalMs}} }
            clusters:
              llm: { destinations: ["{{upstream.Address}}"] }
            routes:
              - { name: chat, path: /v1/chat/completions, protocol: openai-chat, cluster: llm, allow: [ { role: analyst, operations: [chat] } ] }
            """);
        var cli = Path.Combine(AppContext.BaseDirectory, "rampart.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [cli, "gateway", "run", "--config", Path.Combine(temp.Path, "gateway.yaml")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            ready.Should().Contain("listening");
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var marker = $"m-{w}-{i}";
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                    {
                        Content = new StringContent($$"""{"model":"m","messages":[{"role":"user","content":"{{marker}}"}]}""", Encoding.UTF8, "application/json"),
                    };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    try
                    {
                        using var response = await client.SendAsync(request);
                        _ = await response.Content.ReadAsStringAsync();
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged.Add(marker);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the gateway is gone
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToList();
            while (acknowledged.Count < 200)
            {
                await Task.Delay(20);
            }

            process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await process.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(workers);

            // Restart = open the log again (cuts a torn tail), then verify and look for every acknowledged marker.
            await AuditLog.Open(new AuditOptions(Path.Combine(temp.Path, "audit"))).DisposeAsync();
            var verification = AuditVerifier.Verify(Path.Combine(temp.Path, "audit"));
            verification.Problem.Should().BeNull();
            var logged = AuditVerifier.Query(Path.Combine(temp.Path, "audit"), new AuditQuery()).Select(e => e.RequestBody ?? "").ToList();
            var missing = acknowledged.Where(m => !logged.Any(b => b.Contains($"\"{m}\"", StringComparison.Ordinal))).ToList();
            missing.Should().BeEmpty($"{acknowledged.Count} requests were acknowledged before the kill");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
