using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rampart.Gateway.Hosting;
using Rampart.Guard.Checks;

namespace Rampart.Gateway.Tests;

/// <summary>
/// The gateway against a revocation list server that speaks the contract of docs/server.md ("Revocation contract for
/// gateways"): a stub (<see cref="RevocationServer"/>), not the real `rampart server`, because revoking there takes a
/// signed, scanned and approved upload and two MFA-enrolled accounts; the stub checks the bearer token, orders by
/// sequence, honours <c>after</c> and long-polls <c>wait</c> like src/Rampart.Server/Api/RegistryEndpoints.cs.
/// </summary>
public sealed class RevocationTests
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private static string Config(Uri server, string tokenEnv) => $$$"""
        auth: { apiKeys: keys.json }
        audit: { directory: audit, bodies: none }
        revocations: { server: "{{{server}}}", project: fraud, tokenEnv: {{{tokenEnv}}}, waitSeconds: 1, retrySeconds: 0.2, maxStalenessSeconds: 3 }
        clusters: { up: { destinations: ["{{upstream}}"] } }
        routes:
          - name: v2
            path: /limited/v1/chat/completions
            protocol: openai-chat
            cluster: up
            modelVersion: { artifact: scorer, version: "2" }
            allow: [ { role: analyst, operations: [chat] } ]
          - name: v3
            path: /v1/chat/completions
            protocol: openai-chat
            cluster: up
            modelVersion: { digest: "sha256:{{{new string('3', 64)}}}" }
            allow: [ { role: analyst, operations: [chat] } ]
          - name: plain
            path: /v1/completions
            cluster: up
            allow: [ { role: analyst, operations: [call] } ]
        """;

    [Fact]
    public async Task RevokedVersion_Is403WithRuleAndReason_OtherVersionsServe_AndStaleListFailsClosed()
    {
        await using var server = await RevocationServer.StartAsync("fraud", "rmp_read_token");
        var tokenEnv = "RAMPART_TEST_REVOCATION_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(tokenEnv, "rmp_read_token");
        server.Revoke("older", "1", "sha256:" + new string('0', 64), "superseded");
        await using var rig = await GatewayRig.StartAsync(Config(server.Address, tokenEnv));

        await Eventually(async () => (await rig.PostAsync("alice", "/limited/v1/chat/completions", Chat)).Status == HttpStatusCode.OK, "the first poll succeeds");
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat)).Status.Should().Be(HttpStatusCode.OK);

        server.Revoke("scorer", "2", "sha256:" + new string('2', 64), "weights leaked");
        await Eventually(async () => (await rig.PostAsync("alice", "/limited/v1/chat/completions", Chat)).Status == HttpStatusCode.Forbidden, "a revocation arrives by long poll");
        var (status, json, _) = await rig.PostAsync("alice", "/limited/v1/chat/completions", Chat);
        status.Should().Be(HttpStatusCode.Forbidden);
        json!["error"]!["code"]!.GetValue<string>().Should().Be("model_revoked");
        json["error"]!["rule"]!.GetValue<string>().Should().Be(GuardRuleIds.ModelRevoked);
        json["error"]!["message"]!.GetValue<string>().Should().Contain("weights leaked").And.Contain("scorer");
        (await rig.PostAsync("alice", "/v1/chat/completions", Chat)).Status.Should().Be(HttpStatusCode.OK, "another version is not affected");
        server.Queries.Should().Contain(q => q.Contains("after=", StringComparison.Ordinal), "later polls send the last next back");
        server.Queries.Should().OnlyContain(q => q.Contains("wait=", StringComparison.Ordinal));

        // The server stops answering properly: the known revocation stays in force, and after maxStalenessSeconds
        // every versioned route fails closed; routes without a version are not affected.
        server.Broken = true;
        await Eventually(async () => (await rig.PostAsync("alice", "/v1/chat/completions", Chat)).Status == HttpStatusCode.ServiceUnavailable, "the list goes stale");
        (status, json, _) = await rig.PostAsync("alice", "/v1/chat/completions", Chat);
        json!["error"]!["rule"]!.GetValue<string>().Should().Be(GuardRuleIds.RevocationsStale);
        (await rig.PostAsync("alice", "/limited/v1/chat/completions", Chat)).Json!["error"]!["rule"]!.GetValue<string>().Should().Be(GuardRuleIds.ModelRevoked, "a known revocation is kept through failures");
        (await rig.PostAsync("alice", "/v1/completions", Chat)).Status.Should().Be(HttpStatusCode.OK, "routes without a version are not affected");

        server.Broken = false;
        await Eventually(async () => (await rig.PostAsync("alice", "/v1/chat/completions", Chat)).Status == HttpStatusCode.OK, "the list recovers");

        var audit = rig.Audit();
        audit.Should().Contain(e => e.Route == "v2" && e.Decision == "blocked" && e.Rules.Contains(GuardRuleIds.ModelRevoked) && e.Principal == "alice");
        audit.Should().Contain(e => e.Route == "v3" && e.Decision == "refused" && e.Rules.Contains(GuardRuleIds.RevocationsStale));
    }

    [Fact]
    public async Task RefusedToken_NeverRefreshes_SoVersionedRoutesFailClosedFromTheStart()
    {
        await using var server = await RevocationServer.StartAsync("fraud", "rmp_read_token");
        var tokenEnv = "RAMPART_TEST_REVOCATION_TOKEN_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(tokenEnv, "rmp_wrong");
        await using var rig = await GatewayRig.StartAsync(Config(server.Address, tokenEnv));
        await Eventually(() => Task.FromResult(server.Queries.Count >= 2), "the gateway keeps retrying");
        var (status, json, _) = await rig.PostAsync("alice", "/v1/chat/completions", Chat);
        status.Should().Be(HttpStatusCode.ServiceUnavailable);
        json!["error"]!["message"]!.GetValue<string>().Should().Contain("never");
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>")]
    [InlineData("""{"revocations":{}, "next": 1}""")]
    [InlineData("""{"revocations":[], "next": "x"}""")]
    [InlineData("""{"revocations":[{"sequence":1,"artifact":"a","version":"1"}], "next": 1}""")]
    [InlineData("""{"revocations":[{"sequence":"1","digest":"sha256:00","artifact":"a","version":"1"}], "next": 1}""")]
    public void Parse_RefusesAnythingButTheDocumentedShape(string body)
    {
        var parse = () => RevocationWatcher.Parse(Encoding.UTF8.GetBytes(body));
        parse.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Config_VersionedRouteNeedsRevocations_AndStalenessMustOutlastTheLongPoll()
    {
        var config = Config(new Uri("http://127.0.0.1:1/"), "T").Replace("{{upstream}}", "http://127.0.0.1:2/", StringComparison.Ordinal);
        var withoutRevocations = string.Join('\n', config.Split('\n').Where(l => !l.StartsWith("revocations:", StringComparison.Ordinal)));
        var parse = () => Rampart.Gateway.Config.GatewayConfigParser.Parse(withoutRevocations, "g.yaml", ".");
        parse.Should().Throw<InvalidDataException>().WithMessage("*modelVersion*revocations*");
        var tight = () => Rampart.Gateway.Config.GatewayConfigParser.Parse(config.Replace("maxStalenessSeconds: 3", "maxStalenessSeconds: 1", StringComparison.Ordinal), "g.yaml", ".");
        tight.Should().Throw<InvalidDataException>().WithMessage("*maxStalenessSeconds*");
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, what);
            await Task.Delay(200);
        }
    }

    /// <summary>The revocation endpoint of docs/server.md on loopback, with a switch that makes it answer 500.</summary>
    private sealed class RevocationServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<(long Sequence, string Digest, string Artifact, string Version, string Reason)> _entries = [];
        private readonly Lock _gate = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _sequence = 10;

        private RevocationServer(WebApplication app) => _app = app;

        public Uri Address { get; private set; } = null!;

        public bool Broken { get; set; }

        public ConcurrentQueue<string> Queries { get; } = new();

        public static async Task<RevocationServer> StartAsync(string project, string token)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new RevocationServer(app);
            app.MapGet("/api/v1/projects/{project}/revocations", async (HttpContext context, long? after, int? wait) =>
                await server.ListAsync(context, project, token, context.Request.RouteValues["project"] as string, after, wait));
            await app.StartAsync();
            server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return server;
        }

        public void Revoke(string artifact, string version, string digest, string reason)
        {
            lock (_gate)
            {
                _entries.Add((_sequence += 7, digest, artifact, version, reason));
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task<IResult> ListAsync(HttpContext context, string project, string token, string? asked, long? after, int? wait)
        {
            Queries.Enqueue(context.Request.QueryString.Value ?? "");
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            {
                return Results.Json(new { error = "unauthenticated", message = "bad token" }, statusCode: 401);
            }

            if (asked != project)
            {
                return Results.Json(new { error = "forbidden", message = "no role" }, statusCode: 403);
            }

            var deadline = TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, 60));
            while (true)
            {
                if (Broken)
                {
                    return Results.Json(new { error = "internal", message = "broken on purpose" }, statusCode: 500);
                }

                Task changed;
                List<(long Sequence, string Digest, string Artifact, string Version, string Reason)> rows;
                lock (_gate)
                {
                    changed = _changed.Task;
                    rows = [.. _entries.Where(e => e.Sequence > (after ?? -1)).OrderBy(e => e.Sequence)];
                }

                if (rows.Count > 0 || deadline <= TimeSpan.Zero)
                {
                    var revocations = rows.Select(e => new { sequence = e.Sequence, digest = e.Digest, artifact = e.Artifact, version = e.Version, reason = e.Reason, at = "2026-12-02T00:00:00Z" });
                    return Results.Json(new { project, revocations, next = rows.Count > 0 ? rows[^1].Sequence : after ?? -1 });
                }

                await Task.WhenAny(changed, Task.Delay(deadline, context.RequestAborted));
                deadline = TimeSpan.Zero;
            }
        }
    }
}
