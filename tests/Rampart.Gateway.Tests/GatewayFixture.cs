using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.TestKit;

namespace Rampart.Gateway.Tests;

/// <summary>
/// One real gateway on loopback in front of a real stub upstream, with a key file (alice: analyst, bob: viewer, an
/// expired and a revoked key), a JWKS for tokens, and routes for chat (enforce), a streaming canary route, a TF
/// Serving route with masking, fault routes and a tight rate limit.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime, IDisposable
{
    public const string Canary = "rmp-canary-fixture-42";

    private readonly TempDirectory _temp = new();
    private readonly RsaSecurityKey _signing = new(RSA.Create(2048)) { KeyId = "k1" };

    public StubUpstream Upstream { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Alice { get; private set; } = "";

    public string Bob { get; private set; } = "";

    public string Expired { get; private set; } = "";

    public string Revoked { get; private set; } = "";

    public string Directory => _temp.Path;

    public string AuditDirectory => Path.Combine(_temp.Path, "audit");

    public async Task InitializeAsync()
    {
        Upstream = await StubUpstream.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var store = new ApiKeyStore([]);
        (store, Alice, _) = store.Create("alice", ["analyst"], [], now, now.AddDays(1));
        (store, Bob, _) = store.Create("bob", ["viewer"], [], now, null);
        (store, Expired, _) = store.Create("carol", ["analyst"], [], now.AddDays(-2), now.AddDays(-1));
        (store, Revoked, var revoked) = store.Create("dave", ["analyst"], [], now, null);
        store = store.Revoke(revoked.Prefix, now);
        store.Save(Path.Combine(_temp.Path, "keys.json"));
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_signing.Rsa.ExportParameters(false)) { KeyId = "k1" });
        jwk.Use = "sig";
        jwk.Alg = "RS256";
        await File.WriteAllTextAsync(Path.Combine(_temp.Path, "jwks.json"), "{\"keys\":[" + System.Text.Json.JsonSerializer.Serialize(jwk) + "]}");
        await File.WriteAllTextAsync(Path.Combine(_temp.Path, "iris.yaml"), "model: iris\nfeatures:\n  - { name: a, type: number, min: 0, max: 10 }\n  - { name: b, type: number, min: 0, max: 10 }\n");
        Gateway = await GatewayHost.StartAsync(GatewayConfigParser.Parse(Config(Upstream.Address), "gateway.yaml", _temp.Path), new GatewayHostOptions { Listen = "http://127.0.0.1:0" });
    }

    public string Config(Uri upstream) => $$"""
        auth:
          apiKeys: keys.json
          jwt: { issuer: https://issuer.test, audience: rampart-gateway, jwks: jwks.json }
        audit: { directory: audit, bodies: redacted }
        limits: { maxBodyBytes: 65536, maxRequestHeaders: 40 }
        clusters:
          llm: { destinations: ["{{upstream}}"], timeoutSeconds: 2, healthPath: /health }
          slow: { destinations: ["{{upstream}}"], timeoutSeconds: 1 }
          down: { destinations: ["http://127.0.0.1:9/"] }
        routes:
          - name: chat
            path: /v1/chat/completions
            protocol: openai-chat
            cluster: llm
            allow:
              - { role: analyst, operations: [chat] }
            checks:
              secrets: redact
              pii: redact
              canaries: ["{{Canary}}"]
              exfiltration: { allowedHosts: [docs.example.test] }
          - name: completions-block
            path: /v1/completions
            protocol: openai-completions
            cluster: llm
            allow: [ { role: analyst, operations: [completions] } ]
            checks: { secrets: block }
          - name: predict
            path: "/v1/models/{model}:predict"
            protocol: tf-serving
            cluster: llm
            allow: [ { role: analyst, operations: [predict], models: [iris] } ]
            checks: { profile: iris.yaml, masking: round, maskingDecimals: 2 }
          - name: limited
            path: /limited/v1/chat/completions
            protocol: openai-chat
            cluster: llm
            rateLimit: { requestsPerMinute: 3 }
            allow: [ { principal: alice, operations: ["*"] } ]
          - { name: slow, path: /slow/v1/chat/completions, protocol: openai-chat, cluster: slow, allow: [ { role: analyst, operations: ["*"] } ] }
          - { name: garbage, path: /garbage/v1/chat/completions, protocol: openai-chat, cluster: llm, allow: [ { role: analyst, operations: ["*"] } ] }
          - { name: reset, path: /reset/v1/chat/completions, protocol: openai-chat, cluster: llm, allow: [ { role: analyst, operations: ["*"] } ] }
          - { name: down, path: /down/v1/chat/completions, protocol: openai-chat, cluster: down, allow: [ { role: analyst, operations: ["*"] } ] }
          - { name: status, path: /status, cluster: llm, public: true }
        """;

    /// <summary>Every route path of the config (for enumeration tests), with a sample body.</summary>
    public static IReadOnlyList<string> RoutePaths { get; } =
        ["/v1/chat/completions", "/v1/completions", "/v1/models/iris:predict", "/limited/v1/chat/completions", "/slow/v1/chat/completions", "/garbage/v1/chat/completions", "/reset/v1/chat/completions", "/down/v1/chat/completions"];

    public string Token(string audience = "rampart-gateway", string issuer = "https://issuer.test", TimeSpan? lifetime = null, SecurityKey? key = null, string[]? roles = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromMinutes(5));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            NotBefore = expires < now ? expires.AddMinutes(-10) : now.AddMinutes(-1),
            IssuedAt = expires < now ? expires.AddMinutes(-10) : now.AddMinutes(-1),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = "erin", ["roles"] = roles ?? ["analyst"] },
            SigningCredentials = new SigningCredentials(key ?? _signing, SecurityAlgorithms.RsaSha256),
        });
    }

    public HttpRequestMessage Chat(string path, string? key, string content = "hi", bool stream = false, string? answer = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.Address, path))
        {
            Content = new StringContent($$"""{"model":"gpt-test","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":{{System.Text.Json.JsonSerializer.Serialize(content)}}}],"prompt":"p"}""", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (answer is not null)
        {
            message.Headers.Add("X-Stub-Answer", answer);
        }

        return message;
    }

    public void Dispose() => _temp.Dispose();

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        _signing.Rsa.Dispose();
        _temp.Dispose();
    }
}
