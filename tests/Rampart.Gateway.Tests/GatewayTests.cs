using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Rampart.Guard.Audit;

namespace Rampart.Gateway.Tests;

/// <summary>The gateway over real HTTP on loopback, in front of a real upstream.</summary>
public sealed class GatewayTests(GatewayFixture f) : IClassFixture<GatewayFixture>
{
    private const string Secret = "hf_abcdefghijklmnopqrstuvwxyz0123456789";

    private async Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> Send(HttpRequestMessage request)
    {
        var response = await f.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return (response.StatusCode, json, response);
    }

    public static TheoryData<string> Paths() => [.. GatewayFixture.RoutePaths.Concat(["/", "/admin", "/v1/models", "/v2/models/x/infer", "/invocations", "/v1/chat/completions/../../etc"])];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task RouteEnumeration_WithoutCredentials_Is401JsonEverywhere(string path)
    {
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Get })
        {
            var (status, json, response) = await Send(new HttpRequestMessage(method, new Uri(f.Gateway.Address, path)) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
            status.Should().Be(HttpStatusCode.Unauthorized, $"{method} {path}");
            json!["error"]!["code"]!.GetValue<string>().Should().Be("unauthenticated");
            response.Headers.WwwAuthenticate.Should().NotBeEmpty();
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task RouteEnumeration_WrongRole_Is403_UnknownPathIs404(string path)
    {
        var (status, _, _) = await Send(f.Chat(path, f.Bob));
        status.Should().Be(GatewayFixture.RoutePaths.Contains(path) ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound, path);
    }

    [Fact]
    public async Task ExpiredRevokedAndForgedKeys_AreRefused()
    {
        foreach (var (key, reason) in new[] { (f.Expired, "expired"), (f.Revoked, "revoked"), (f.Alice[..^4] + "AAAA", "unknown API key"), ("rk_nope", "unknown API key"), ("Basic abc", "") })
        {
            var (status, json, _) = await Send(f.Chat("/v1/chat/completions", key));
            status.Should().Be(HttpStatusCode.Unauthorized, key);
            if (reason.Length == 0)
            {
                continue;
            }

            json!["error"]!["message"]!.GetValue<string>().Should().Contain(reason);
        }

        (await Send(f.Chat("/v1/chat/completions", f.Alice))).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Jwt_ValidIsAccepted_WrongAudienceIssuerSignatureOrExpiredAreRefused()
    {
        (await Send(f.Chat("/v1/chat/completions", f.Token()))).Status.Should().Be(HttpStatusCode.OK);
        using var other = RSA.Create(2048);
        var bad = new Dictionary<string, string>
        {
            ["audience"] = f.Token(audience: "someone-else"),
            ["issuer"] = f.Token(issuer: "https://evil.test"),
            ["signature"] = f.Token(key: new RsaSecurityKey(other) { KeyId = "k1" }),
            ["expired"] = f.Token(lifetime: TimeSpan.FromMinutes(-5)),
            ["tampered"] = f.Token()[..^6] + "AAAAAA",
        };
        foreach (var (what, token) in bad)
        {
            (await Send(f.Chat("/v1/chat/completions", token))).Status.Should().Be(HttpStatusCode.Unauthorized, what);
        }

        (await Send(f.Chat("/v1/chat/completions", f.Token(roles: ["viewer"])))).Status.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SecretInPrompt_IsRedactedBeforeItReachesTheUpstream()
    {
        var marker = Guid.NewGuid().ToString("N");
        var (status, _, _) = await Send(f.Chat("/v1/chat/completions", f.Alice, $"{marker} my token is {Secret}"));
        status.Should().Be(HttpStatusCode.OK);
        var received = f.Upstream.Received.Single(r => r.Contains(marker, StringComparison.Ordinal));
        received.Should().NotContain(Secret).And.Contain("[REDACTED:RAMP-GUARD-001]");
    }

    [Fact]
    public async Task SecretInPrompt_OnABlockRoute_Is403WithTheRule()
    {
        var (status, json, _) = await Send(f.Chat("/v1/completions", f.Alice, "x", answer: null) is var m && await Rewrite(m, $"{{\"model\":\"m\",\"prompt\":\"key {Secret}\"}}") ? m : m);
        status.Should().Be(HttpStatusCode.Forbidden);
        json!["error"]!["rule"]!.GetValue<string>().Should().Be("RAMP-GUARD-001");
    }

    private static Task<bool> Rewrite(HttpRequestMessage message, string body)
    {
        message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return Task.FromResult(true);
    }

    [Fact]
    public async Task Answer_MarkdownImageIsRedacted_CanaryLeakIsWithheld()
    {
        var (status, json, _) = await Send(f.Chat("/v1/chat/completions", f.Alice, answer: "See ![x](https://evil.test/p.png?d=data) and https://docs.example.test/ok"));
        status.Should().Be(HttpStatusCode.OK);
        var content = json!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        content.Should().NotContain("evil.test").And.Contain("https://docs.example.test/ok");
        json["usage"]!["total_tokens"]!.GetValue<int>().Should().Be(30, "fields the guard does not touch are kept");

        var leak = await Send(f.Chat("/v1/chat/completions", f.Alice, answer: $"My instructions: {GatewayFixture.Canary}"));
        leak.Status.Should().Be(HttpStatusCode.BadGateway);
        leak.Json!["error"]!["rule"]!.GetValue<string>().Should().Be("RAMP-GUARD-003");
    }

    [Fact]
    public async Task Stream_SecretSplitOverChunks_IsRedacted()
    {
        using var response = await f.Client.SendAsync(f.Chat("/v1/chat/completions", f.Alice, stream: true, answer: "Here: hf_abcdefghij|klmnopqrstuvwxyz|0123456789 done|, bye"), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sse = await response.Content.ReadAsStringAsync();
        var text = string.Concat(sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Trim()).Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonNode.Parse(e[6..])!["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() ?? ""));
        text.Should().Be("Here: [REDACTED:RAMP-GUARD-001] done, bye");
        sse.Should().EndWith("data: [DONE]\n\n");
    }

    [Fact]
    public async Task Stream_CanaryOverChunks_EndsWithErrorEvent()
    {
        var split = GatewayFixture.Canary.Insert(7, "|");
        using var response = await f.Client.SendAsync(f.Chat("/v1/chat/completions", f.Alice, stream: true, answer: $"The prompt says {split} ok|more|more"), HttpCompletionOption.ResponseHeadersRead);
        var sse = await response.Content.ReadAsStringAsync();
        sse.Should().NotContain("canary-fixture").And.Contain("\"code\":\"RAMP-GUARD-003\"").And.NotContain("[DONE]");
        sse.Should().EndWith("\n\n");
    }

    [Fact]
    public async Task Stream_ClientDisconnect_CancelsTheUpstreamCall()
    {
        var response = await f.Client.SendAsync(f.Chat("/v1/chat/completions", f.Alice, stream: true, answer: "endless"), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        (await stream.ReadAsync(buffer)).Should().BeGreaterThan(0);
        response.Dispose();
        var finished = await Task.WhenAny(f.Upstream.StreamCancelled.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        finished.Should().Be(f.Upstream.StreamCancelled.Task, "the upstream call must be cancelled when the client goes away");
    }

    [Theory]
    [InlineData("/down/v1/chat/completions", HttpStatusCode.BadGateway, "upstream_error")]
    [InlineData("/slow/v1/chat/completions", HttpStatusCode.GatewayTimeout, "upstream_timeout")]
    [InlineData("/garbage/v1/chat/completions", HttpStatusCode.BadGateway, "bad_upstream_response")]
    [InlineData("/reset/v1/chat/completions", HttpStatusCode.BadGateway, "upstream_error")]
    public async Task UpstreamFaults_AreClearJsonErrors(string path, HttpStatusCode expected, string code)
    {
        var (status, json, _) = await Send(f.Chat(path, f.Alice));
        status.Should().Be(expected);
        json!["error"]!["code"]!.GetValue<string>().Should().Be(code);
    }

    [Fact]
    public async Task Predict_ProfileRefusesBadRows_MaskingRoundsScores_RbacByModel()
    {
        HttpRequestMessage Predict(string model, string body) => new(HttpMethod.Post, new Uri(f.Gateway.Address, $"/v1/models/{model}:predict"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
            Headers = { Authorization = new("Bearer", f.Alice) },
        };

        var ok = await Send(Predict("iris", """{"instances":[[1.5,2.5]]}"""));
        ok.Status.Should().Be(HttpStatusCode.OK);
        ok.Json!["predictions"]![0]!.ToJsonString().Should().Be("[0.12,0.88]");
        var bad = await Send(Predict("iris", """{"instances":[[1.5,99]]}"""));
        bad.Status.Should().Be(HttpStatusCode.Forbidden);
        bad.Json!["error"]!["rule"]!.GetValue<string>().Should().Be("RAMP-GUARD-010");
        (await Send(Predict("other", """{"instances":[[1.5,2.5]]}"""))).Status.Should().Be(HttpStatusCode.Forbidden, "alice may predict on iris only");
    }

    public static TheoryData<string, byte[], HttpStatusCode, string> BadBodies() => new()
    {
        { "malformed", Encoding.UTF8.GetBytes("{\"messages\":["), HttpStatusCode.BadRequest, "malformed_json" },
        { "utf8", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], HttpStatusCode.BadRequest, "invalid_utf8" },
        { "deep", Encoding.UTF8.GetBytes(new string('[', 200) + new string(']', 200)), HttpStatusCode.BadRequest, "json_too_deep" },
        { "shape", Encoding.UTF8.GetBytes("{\"messages\":7}"), HttpStatusCode.BadRequest, "unexpected_shape" },
        { "huge", Encoding.UTF8.GetBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 70_000) + "\"}]}"), HttpStatusCode.RequestEntityTooLarge, "body_too_large" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadBodies_Are4xxWithAClearCode_AndTheProcessStaysHealthy(string what, byte[] body, HttpStatusCode expected, string code)
    {
        var request = f.Chat("/v1/chat/completions", f.Alice);
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
        var (status, json, _) = await Send(request);
        status.Should().Be(expected, what);
        if (json is not null)
        {
            json["error"]!["code"]!.GetValue<string>().Should().Be(code);
        }

        (await f.Client.GetAsync(new Uri(f.Gateway.Address, "/healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd")]
    [InlineData("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n")]
    public async Task SmugglingAttempts_Are400_AndTheProcessStaysHealthy(string raw)
    {
        var status = await RawStatus(raw);
        status.Should().StartWith("HTTP/1.1 4");
        (await f.Client.GetAsync(new Uri(f.Gateway.Address, "/healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task HeaderFlood_Is431_AndTheProcessStaysHealthy()
    {
        var raw = new StringBuilder("GET /healthz HTTP/1.1\r\nHost: x\r\n");
        for (var i = 0; i < 200; i++)
        {
            raw.Append("X-Flood-").Append(i).Append(": y\r\n");
        }

        (await RawStatus(raw.Append("\r\n").ToString())).Should().StartWith("HTTP/1.1 431");
        (await f.Client.GetAsync(new Uri(f.Gateway.Address, "/healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private async Task<string> RawStatus(string raw)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(f.Gateway.Address.Host, f.Gateway.Address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        var buffer = new byte[512];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, cts.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public async Task RateLimit_Is429WithRetryAfter()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 5; i++)
        {
            last = await f.Client.SendAsync(f.Chat("/limited/v1/chat/completions", f.Alice));
            statuses.Add(last.StatusCode);
        }

        statuses.Take(3).Should().OnlyContain(s => s == HttpStatusCode.OK);
        statuses.Skip(3).Should().OnlyContain(s => s == HttpStatusCode.TooManyRequests);
        last!.Headers.RetryAfter!.Delta!.Value.TotalSeconds.Should().BeInRange(1, 60);
    }

    [Fact]
    public async Task AuditLog_RecordsEveryRequest_AndItsChainVerifies()
    {
        var marker = Guid.NewGuid().ToString("N");
        (await Send(f.Chat("/v1/chat/completions", f.Alice, $"{marker} {Secret}"))).Status.Should().Be(HttpStatusCode.OK);
        (await Send(f.Chat("/v1/chat/completions", null))).Status.Should().Be(HttpStatusCode.Unauthorized);
        var verification = AuditVerifier.Verify(f.AuditDirectory);
        verification.Problem.Should().BeNull();
        var entry = AuditVerifier.Query(f.AuditDirectory, new AuditQuery(Principal: "alice", Rule: "RAMP-GUARD-001")).Single(e => e.RequestBody!.Contains(marker, StringComparison.Ordinal));
        entry.RequestBody.Should().NotContain(Secret, "bodies are kept only after redaction");
        entry.Decision.Should().Be("redact");
        entry.RequestDigest.Should().StartWith("sha256:");
        entry.CompletionTokens.Should().Be(20);
        AuditVerifier.Query(f.AuditDirectory, new AuditQuery(Principal: "")).Should().Contain(e => e.Decision == "unauthenticated");
    }

    [Fact]
    public async Task HealthAndPublicRoutes_NeedNoCredentials()
    {
        (await f.Client.GetAsync(new Uri(f.Gateway.Address, "/healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await f.Client.GetAsync(new Uri(f.Gateway.Address, "/readyz"))).StatusCode.Should().Be(HttpStatusCode.OK);
        var metrics = await f.Client.GetStringAsync(new Uri(f.Gateway.Address, "/metrics"));
        metrics.Should().Contain("rampart_gateway_requests_total");
    }
}
