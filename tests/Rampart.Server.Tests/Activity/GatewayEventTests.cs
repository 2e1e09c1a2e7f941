using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Rampart.Server.Data;

namespace Rampart.Server.Tests.Activity;

/// <summary>
/// POST /api/v1/projects/{p}/gateway/events: who may send (operation report: not viewers, not another project's
/// token, not a token without the operation), what is checked (batch size, the gateway's decisions, rule ids), what
/// is stored (rules, blocks, drift per feature), and the retention period.
/// </summary>
public sealed class GatewayEventTests
{
    [Fact]
    public async Task Ingestion_NeedsTheReportOperationInTheSameProject()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        await server.CreateProjectAsync("q");
        using var viewer = await server.UserAsync("vera", "p", "viewer");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var other = await server.UserAsync("otto", "q", "data-scientist");
        var batch = new { gateway = "gw-1", events = new[] { Event(server.Time.GetUtcNow(), "alice", "allow") } };

        // A viewer may read the project but not report; nor can a viewer's token carry the operation.
        (await viewer.PostAsync("/api/v1/projects/p/gateway/events", batch)).Code.Should().Be(403);
        (await viewer.PostAsync("/api/v1/tokens", new { name = "gw", project = "p", operations = new[] { "report" } })).Code.Should().Be(403);

        // Another project's token, and a token of this project without 'report', are refused.
        using var otherToken = ApiClient.WithToken(server, await other.CreateTokenAsync("q", "report"));
        (await otherToken.PostAsync("/api/v1/projects/p/gateway/events", batch)).Code.Should().Be(403);
        using var readToken = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "read"));
        (await readToken.PostAsync("/api/v1/projects/p/gateway/events", batch)).Code.Should().Be(403);
        using var stranger = server.Anonymous();
        (await stranger.PostAsync("/api/v1/projects/p/gateway/events", batch)).Code.Should().Be(401);
        (await StoredAsync(server)).Should().BeEmpty();

        using var gateway = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        var accepted = (await gateway.PostAsync("/api/v1/projects/p/gateway/events", batch)).EnsureOk().Json;
        accepted["stored"]!.GetValue<int>().Should().Be(1);
        var stored = (await StoredAsync(server)).Single();
        stored.Gateway.Should().Be("gw-1");
        stored.Principal.Should().Be("alice");
    }

    [Fact]
    public async Task Batches_AreValidatedWhole_AndStoredWithRulesBlocksAndDrift()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var gateway = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        var now = server.Time.GetUtcNow();
        const string Path = "/api/v1/projects/p/gateway/events";

        // One bad event refuses the batch, naming it; nothing is stored.
        var bad = await gateway.PostAsync(Path, new { events = new object[] { Event(now, "alice", "allow"), Event(now, "bob", "maybe") } });
        bad.Code.Should().Be(400);
        bad.Body.Should().Contain("events[1]").And.Contain("decision");
        (await gateway.PostAsync(Path, new { events = new object[] { new { time = now, principal = "a", route = "chat", decision = "block", rules = new[] { "<script>" } } } })).Code.Should().Be(400);
        (await gateway.PostAsync(Path, new { events = new object[] { new { time = now.AddHours(2), principal = "a", route = "chat", decision = "allow" } } })).Code.Should().Be(400);
        (await gateway.PostAsync(Path, new { events = new object[] { new { principal = "a", route = "chat", decision = "allow" } } })).Code.Should().Be(400);
        (await gateway.PostAsync(Path, new { events = Enumerable.Range(0, 1001).Select(_ => Event(now, "a", "allow")).ToArray() })).Body.Should().Contain("at most 1000");
        (await gateway.PostAsync(Path, new { nothing = 1 })).Code.Should().Be(400);
        (await StoredAsync(server)).Should().BeEmpty();

        var events = new object[]
        {
            new { time = now, requestId = "r1", principal = "mallory", route = "chat", model = "gpt", operation = "chat", status = 403, decision = "blocked", rules = new[] { "RAMP-LLM-001", "RAMP-GUARD-003" }, latencyMs = 12.5 },
            new { time = now, requestId = "r2", principal = "iris-client", route = "iris", operation = "infer", status = 200, decision = "annotate", rules = new[] { "RAMP-GUARD-108" }, latencyMs = 3.0, drift = new Dictionary<string, double> { ["petal_length"] = 0.42, ["sepal_width"] = 0.3 } },
            new { time = now.AddDays(-40), principal = "old", route = "chat", decision = "allow" },
        };
        var result = (await gateway.PostAsync(Path, new { gateway = "gw-eu-1", events })).EnsureOk().Json;
        result["stored"]!.GetValue<int>().Should().Be(2);
        result["skipped"]!.GetValue<int>().Should().Be(1, "an event older than the 30-day retention is not kept");
        var rows = await StoredAsync(server);
        var blocked = rows.Single(r => r.RequestId == "r1");
        blocked.Blocked.Should().BeTrue();
        blocked.Rules.Should().Be("RAMP-GUARD-003 RAMP-LLM-001");
        blocked.LatencyMs.Should().Be(12.5);
        rows.Single(r => r.RequestId == "r2").Blocked.Should().BeFalse();
        using var scope = server.Host.Services.CreateScope();
        var drift = await scope.ServiceProvider.GetRequiredService<ServerDb>().GatewayDrift.OrderBy(d => d.Feature).ToListAsync();
        drift.Select(d => (d.Feature, d.Score, d.Route)).Should().Equal(("petal_length", 0.42, "iris"), ("sepal_width", 0.3, "iris"));
    }

    [Fact]
    public async Task EventsOlderThanTheRetention_AreDeleted()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { GatewayEventRetention = TimeSpan.FromDays(2) });
        await server.CreateProjectAsync("p");
        using var dana = await server.UserAsync("dana", "p", "data-scientist");
        using var gateway = ApiClient.WithToken(server, await dana.CreateTokenAsync("p", "report"));
        (await gateway.PostAsync("/api/v1/projects/p/gateway/events", new { events = new[] { Event(server.Time.GetUtcNow(), "first", "allow") } })).EnsureOk();
        server.Time.Advance(TimeSpan.FromDays(1));
        (await gateway.PostAsync("/api/v1/projects/p/gateway/events", new { events = new[] { Event(server.Time.GetUtcNow(), "second", "allow") } })).EnsureOk();
        (await StoredAsync(server)).Select(e => e.Principal).Should().BeEquivalentTo("first", "second");
        server.Time.Advance(TimeSpan.FromDays(1.5));
        (await gateway.PostAsync("/api/v1/projects/p/gateway/events", new { events = new[] { Event(server.Time.GetUtcNow(), "third", "allow") } })).EnsureOk();
        (await StoredAsync(server)).Select(e => e.Principal).Should().BeEquivalentTo(["second", "third"], "the first is 2.5 days old");
    }

    private static object Event(DateTimeOffset time, string principal, string decision) =>
        new { time, requestId = Guid.NewGuid().ToString("N"), principal, route = "chat", operation = "chat", status = 200, decision, rules = Array.Empty<string>(), latencyMs = 1.0 };

    private static async Task<List<GatewayEvent>> StoredAsync(TestServer server)
    {
        using var scope = server.Host.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ServerDb>().GatewayEvents.AsNoTracking().ToListAsync();
    }
}
