using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rampart.Gateway.Config;
using Rampart.Gateway.Hosting;
using Rampart.Guard.Audit;

namespace Rampart.Gateway.Tests;

/// <summary>
/// <c>events:</c>: the gateway ships its audit entries to a Rampart server in batches (a stub of
/// POST /api/v1/projects/{p}/gateway/events that checks the token), off the request path: a full queue drops and
/// counts instead of waiting, a refused batch is dropped and counted, a failed one is retried.
/// </summary>
public sealed class EventShippingTests
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task AuditEntries_ReachTheServer_InBatches_WithoutBodies()
    {
        await using var server = await EventServer.StartAsync("fraud", "rmp_report_token");
        var tokenEnv = "RAMPART_TEST_EVENTS_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(tokenEnv, "rmp_report_token");
        await using var rig = await GatewayRig.StartAsync($$$"""
            auth: { apiKeys: keys.json }
            audit: { directory: audit, bodies: redacted }
            events: { server: "{{{server.Address}}}", project: fraud, tokenEnv: {{{tokenEnv}}}, batchSize: 2, flushSeconds: 0.2, name: gw-test }
            clusters: { up: { destinations: ["{{upstream}}"] } }
            routes:
              - name: chat
                path: /v1/chat/completions
                protocol: openai-chat
                cluster: up
                allow: [ { role: analyst, operations: [chat] } ]
            """);
        for (var i = 0; i < 3; i++)
        {
            (await rig.PostAsync("alice", "/v1/chat/completions", Chat)).Status.Should().Be(HttpStatusCode.OK);
        }

        (await rig.PostAsync("mallory", "/v1/chat/completions", "not json")).Status.Should().Be(HttpStatusCode.BadRequest, "an unreadable body is refused");
        await Eventually(() => server.Events.Count >= 4, "the entries are shipped");
        server.Batches.Should().OnlyContain(b => b <= 2, "batchSize bounds a batch");
        server.Gateways.Should().OnlyContain(g => g == "gw-test");
        var events = server.Events.ToList();
        events.Count(e => e["principal"]!.GetValue<string>() == "alice" && e["decision"]!.GetValue<string>() == "allow" && e["route"]!.GetValue<string>() == "chat").Should().Be(3);
        events.Should().Contain(e => e["principal"]!.GetValue<string>() == "mallory" && e["decision"]!.GetValue<string>() == "refused" && e["rules"]!.AsArray().Count == 1);
        var audit = rig.Audit();
        events.Select(e => e["requestId"]!.GetValue<string>()).Should().BeEquivalentTo(audit.Select(a => a.RequestId), "every audit entry, by its request id");
        events.Should().OnlyContain(e => e["requestBody"] == null && e["responseBody"] == null && e["requestDigest"] == null && e["hash"] == null, "bodies and digests stay in the audit log");
    }

    [Fact]
    public async Task FullQueue_DropsAndCounts_WithoutWaiting_ThenTheRestIsSent()
    {
        using var handler = new GateHandler(HttpStatusCode.OK);
        var shipper = new EventShipper(new EventsConfig("http://127.0.0.1:1", "p") { BatchSize = 1, QueueSize = 2, FlushSeconds = 0.1 }, NullLogger.Instance, handler);
        await using (shipper)
        {
            var entry = new AuditEntry { Time = DateTimeOffset.UtcNow, Principal = "alice", Route = "chat", Decision = "allow" };
            for (var i = 0; i < 50; i++)
            {
                shipper.Enqueue(entry with { RequestId = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, []);
            }

            // The sender holds at most one entry in a blocked POST and the queue two: the rest are dropped, not waited for.
            shipper.DroppedCount.Should().BeInRange(47, 48);
            handler.Release();
            await Eventually(() => shipper.ShippedCount == 50 - shipper.DroppedCount, "what was queued is sent once the server answers");
        }
    }

    [Fact]
    public async Task RefusedBatch_IsDroppedAndCounted_FailedBatch_IsRetried()
    {
        using var refusing = new GateHandler(HttpStatusCode.BadRequest);
        refusing.Release();
        var entry = new AuditEntry { Time = DateTimeOffset.UtcNow, Principal = "alice", Route = "chat", Decision = "allow" };
        await using (var shipper = new EventShipper(new EventsConfig("http://127.0.0.1:1", "p") { BatchSize = 10, FlushSeconds = 0.1 }, NullLogger.Instance, refusing))
        {
            shipper.Enqueue(entry, []);
            shipper.Enqueue(entry, []);
            await Eventually(() => shipper.DroppedCount == 2, "a refused batch is dropped and counted");
            shipper.ShippedCount.Should().Be(0);
        }

        using var failing = new GateHandler(HttpStatusCode.ServiceUnavailable);
        failing.Release();
        await using (var shipper = new EventShipper(new EventsConfig("http://127.0.0.1:1", "p") { BatchSize = 10, FlushSeconds = 0.1 }, NullLogger.Instance, failing))
        {
            shipper.Enqueue(entry, []);
            await Eventually(() => failing.Calls >= 3, "a failed batch is retried");
            shipper.DroppedCount.Should().Be(0);
            failing.Status = HttpStatusCode.OK;
            await Eventually(() => shipper.ShippedCount == 1, "and sent once the server takes it");
        }
    }

    [Theory]
    [InlineData("events: { project: p }", "events.server")]
    [InlineData("events: { server: ftp://x, project: p }", "http(s) URL")]
    [InlineData("events: { server: http://x }", "events.project")]
    [InlineData("events: { server: http://x, project: p, batchSize: 5000 }", "events.batchSize")]
    [InlineData("events: { server: http://x, project: p, flushSeconds: 0 }", "events.flushSeconds")]
    [InlineData("events: { server: http://x, project: p, batchSize: 100, queueSize: 10 }", "events.queueSize")]
    [InlineData("events: { server: http://x, project: p, bogus: 1 }", "bogus")]
    public void BadEventsSection_IsAConfigurationError(string section, string message)
    {
        var act = () => GatewayConfigParser.Parse(section + "\nclusters:\n  llm: { destinations: [\"http://127.0.0.1:9000\"] }\nroutes:\n  - { name: status, path: /status, cluster: llm, public: true }\n", "gateway.yaml", ".");
        act.Should().Throw<InvalidDataException>().WithMessage($"*{message}*");
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, what);
            await Task.Delay(100);
        }
    }

    /// <summary>Answers every POST with <see cref="Status"/>, but only after <see cref="Release"/>.</summary>
    private sealed class GateHandler(HttpStatusCode status) : HttpMessageHandler
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public HttpStatusCode Status { get; set; } = status;

        public int Calls => Volatile.Read(ref _calls);

        public void Release() => _open.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _calls);
            return new HttpResponseMessage(Status) { Content = new StringContent("{}") };
        }
    }

    /// <summary>The server's ingestion endpoint on loopback: checks the token and the project, keeps what it was sent.</summary>
    private sealed class EventServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private EventServer(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public ConcurrentQueue<JsonNode> Events { get; } = new();

        public ConcurrentQueue<int> Batches { get; } = new();

        public ConcurrentQueue<string> Gateways { get; } = new();

        public static async Task<EventServer> StartAsync(string project, string token)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new EventServer(app);
            app.MapPost("/api/v1/projects/{project}/gateway/events", async (HttpContext context) =>
            {
                if (context.Request.Headers.Authorization.ToString() != "Bearer " + token || context.Request.RouteValues["project"] as string != project)
                {
                    return Results.Json(new { error = "forbidden" }, statusCode: 403);
                }

                var body = (await JsonNode.ParseAsync(context.Request.Body))!;
                var events = body["events"]!.AsArray();
                server.Batches.Enqueue(events.Count);
                server.Gateways.Enqueue(body["gateway"]?.GetValue<string>() ?? "");
                foreach (var e in events)
                {
                    server.Events.Enqueue(e!.DeepClone());
                }

                return Results.Json(new { stored = events.Count, skipped = 0 });
            });
            await app.StartAsync();
            server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
