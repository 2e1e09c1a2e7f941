using System.Net;
using System.Text.Json;

namespace Rampart.Gateway.Tests;

/// <summary>Runs against a real redis-server only when RAMPART_TEST_REDIS (host:port) is set (.ci/run starts one).</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")))
        {
            Skip = "RAMPART_TEST_REDIS is not set (e.g. 127.0.0.1:6379): the shared-state tests need a running redis-server";
        }
    }
}

/// <summary>Two gateway replicas sharing one real Redis enforce one quota and see one client as one.</summary>
public sealed class RedisSharedStateTests
{
    private static string Config(string rateLimit, string checks = "{}", string? connection = null, string onFailure = "closed") => $$$"""
        auth: { apiKeys: keys.json }
        audit: { directory: "{{audit}}", bodies: none }
        redis: { connection: "{{{connection ?? Environment.GetEnvironmentVariable("RAMPART_TEST_REDIS")}}}", prefix: "rampart-test-{{{Guid.NewGuid():N}}}:", onFailure: {{{onFailure}}} }
        clusters: { up: { destinations: ["{{upstream}}"] } }
        routes:
          - name: chat
            path: /v1/chat/completions
            protocol: openai-chat
            cluster: up
            allow: [ { role: analyst, operations: [chat] } ]
            rateLimit: {{{rateLimit}}}
          - name: predict
            path: "/v1/models/{model}:predict"
            protocol: tf-serving
            cluster: up
            allow: [ { role: analyst, operations: [predict] } ]
            checks: {{{checks}}}
        """;

    private static readonly string Chat = JsonSerializer.Serialize(new { model = "m", messages = new[] { new { role = "user", content = "hi" } } });

    [RedisFact]
    public async Task TwoReplicas_EnforceOneRequestQuota_PerPrincipal()
    {
        await using var rig = await GatewayRig.StartAsync(Config("{ requestsPerMinute: 5 }"), replicas: 2);
        for (var i = 0; i < 5; i++)
        {
            (await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: i % 2)).Status.Should().Be(HttpStatusCode.OK, $"request {i + 1} of 5");
        }

        foreach (var replica in new[] { 0, 1 })
        {
            var (status, json, retryAfter) = await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica);
            status.Should().Be(HttpStatusCode.TooManyRequests, $"replica {replica} counts what the other one let through");
            json!["error"]!["code"]!.GetValue<string>().Should().Be("rate_limited");
            int.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(1, 60);
        }

        (await rig.PostAsync("bob", "/v1/chat/completions", Chat, replica: 1)).Status.Should().Be(HttpStatusCode.OK, "the quota is per principal");
    }

    [RedisFact]
    public async Task TwoReplicas_ConcurrentRequests_ExactlyTheLimitGetsThrough()
    {
        await using var rig = await GatewayRig.StartAsync(Config("{ requestsPerMinute: 12 }"), replicas: 2);
        var results = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: i % 2)));
        results.Count(r => r.Status == HttpStatusCode.OK).Should().Be(12, "the counter is incremented atomically in Redis");
        results.Count(r => r.Status == HttpStatusCode.TooManyRequests).Should().Be(18);
    }

    [RedisFact]
    public async Task TwoReplicas_ShareTheTokenQuota()
    {
        // The stub reports 30 total tokens per answer: after two answers (60 >= 50) the window is spent everywhere.
        await using var rig = await GatewayRig.StartAsync(Config("{ tokensPerMinute: 50 }"), replicas: 2);
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: 0)).Status.Should().Be(HttpStatusCode.OK);
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: 1)).Status.Should().Be(HttpStatusCode.OK);
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: 0)).Status.Should().Be(HttpStatusCode.TooManyRequests);
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat, replica: 1)).Status.Should().Be(HttpStatusCode.TooManyRequests);
    }

    [RedisFact]
    public async Task TwoReplicas_SeeOneExtractionClient_PradaBlocksAcrossReplicas()
    {
        await using var rig = await GatewayRig.StartAsync(Config("{}", "{ extraction: { minQueries: 30 } }"), replicas: 2);
        int? blockedAt = null;
        var i = 0;
        foreach (var row in DetectorGatewayTests.JacobianAttack(5).Take(DetectorGatewayTests.AttackQueries))
        {
            i++;
            var (status, json, _) = await rig.PostAsync("mallory", "/v1/models/iris:predict", JsonSerializer.Serialize(new { instances = new[] { row } }), replica: i % 2);
            if (status == HttpStatusCode.Forbidden)
            {
                json!["error"]!["rule"]!.GetValue<string>().Should().Be("RAMP-GUARD-101");
                blockedAt = i;
                break;
            }

            status.Should().Be(HttpStatusCode.OK);
        }

        blockedAt.Should().NotBeNull("each replica saw only half of the queries, Redis holds all of them").And.BeLessThanOrEqualTo(DetectorGatewayTests.PradaBlocksBy);

        // Both replicas keep refusing the client; the alarm is raised once between them (shared quiet time in Redis).
        foreach (var replica in new[] { 0, 1, 0, 1 })
        {
            var row = DetectorGatewayTests.JacobianAttack(5).Skip(DetectorGatewayTests.AttackQueries + replica).First();
            (await rig.PostAsync("mallory", "/v1/models/iris:predict", JsonSerializer.Serialize(new { instances = new[] { row } }), replica)).Status.Should().Be(HttpStatusCode.Forbidden);
        }

        var alarms = new[] { "audit", "audit-1" }
            .SelectMany(d => Rampart.Guard.Audit.AuditVerifier.Query(Path.Combine(rig.Directory, d), new Rampart.Guard.Audit.AuditQuery()))
            .Where(e => e.Decision == "alarm" && e.Rules.Contains("RAMP-GUARD-101"));
        alarms.Should().ContainSingle("the replicas share the alarm's quiet time");
    }

    [Theory]
    [InlineData("closed", HttpStatusCode.ServiceUnavailable)]
    [InlineData("open", HttpStatusCode.OK)]
    public async Task RedisUnreachable_FailsClosedByDefault_OrOpenWhenConfigured(string onFailure, HttpStatusCode expected)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        await using var rig = await GatewayRig.StartAsync(Config("{ requestsPerMinute: 100 }", connection: $"127.0.0.1:{port}", onFailure: onFailure));
        var (status, json, _) = await rig.PostAsync("alice", "/v1/chat/completions", Chat);
        status.Should().Be(expected);
        if (expected == HttpStatusCode.ServiceUnavailable)
        {
            json!["error"]!["code"]!.GetValue<string>().Should().Be("quota_unavailable");
            rig.Upstream.Received.Should().BeEmpty();
        }
    }
}
