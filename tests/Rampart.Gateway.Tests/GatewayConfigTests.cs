using Rampart.Gateway.Config;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Tests;

public sealed class GatewayConfigTests
{
    private const string Cluster = "clusters:\n  llm: { destinations: [\"http://127.0.0.1:9000\"] }\n";

    private static GatewayConfig Parse(string yaml) => GatewayConfigParser.Parse(yaml, "gateway.yaml", ".");

    [Theory]
    [InlineData("routes:\n  - { name: chat, path: /v1/chat/completions, cluster: llm, allow: [ { role: a, operations: [chat] } ] }", "neither apiKeys nor jwt")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm }", "no allow rules")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, public: true, allow: [ { role: a, operations: [x] } ] }", "public and has allow rules")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: nope, allow: [ { role: a, operations: [x] } ] }", "not defined")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, protocol: grpc, allow: [ { role: a, operations: [x] } ] }", "unknown protocol")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, alow: [ { role: a, operations: [x] } ] }", "unknown key 'alow'")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a } ] }", "operations")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, principal: b, operations: [x] } ] }", "exactly one of principal or role")]
    [InlineData("auth: { apiKeys: k.json }\naudit: { directory: a, bodies: full }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "audit.bodies")]
    [InlineData("auth: { apiKeys: k.json }\nroutes: []", "no routes")]
    [InlineData("auth: { apiKeys: k.json }\naudit: { directory: a, commitIntervalMs: 5000 }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "commitIntervalMs is at most 1000")]
    [InlineData("auth: { apiKeys: k.json }\nredis: { connection: r:6379, onFailure: maybe }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "redis.onFailure")]
    [InlineData("auth: { apiKeys: k.json }\nredis: { prefix: x }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "redis.connection")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { injection: redact } }", "checks.injection")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { extraction: { pradaDelta: 1.5 } } }", "pradaDelta")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { extraction: { minQueries: 2 } } }", "minQueries")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { extraction: { profile: p.json } } }", "needs 'features'")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { extraction: { action: redact } } }", "extraction.action")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { drift: { windowRows: 500 } } }", "drift.profile")]
    [InlineData("auth: { apiKeys: k.json }\nroutes:\n  - { name: p, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ], checks: { drift: { profile: p.json, windowRows: 5 } } }", "windowRows")]
    [InlineData("auth: { apiKeys: k.json }\ntelemetry: { serviceName: x }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "telemetry.otlpEndpoint")]
    [InlineData("auth: { apiKeys: k.json }\ntelemetry: { otlpEndpoint: collector:4317 }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "an http(s) URL")]
    [InlineData("auth: { apiKeys: k.json }\nledger: { location: l.db, key: k.pem }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "needs audit")]
    [InlineData("auth: { apiKeys: k.json }\naudit: { directory: a }\nledger: { location: l.db }\nroutes:\n  - { name: chat, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }", "ledger.key")]
    public void UnsafeOrBrokenConfigs_AreRefusedWithAReason(string routes, string reason)
    {
        var act = () => Parse(Cluster + routes);
        act.Should().Throw<InvalidDataException>().WithMessage($"gateway.yaml*{reason}*");
    }

    [Fact]
    public void PublicRouteWithoutAuth_IsAcceptedBecauseItSaysSo()
    {
        var config = Parse(Cluster + "routes:\n  - { name: status, path: /status, cluster: llm, public: true }");
        config.Routes.Single().Public.Should().BeTrue();
    }

    [Fact]
    public void FullRoute_IsRead()
    {
        var route = Parse(Cluster + """
            auth: { jwt: { issuer: https://i, audience: a, jwks: j.json } }
            routes:
              - name: p
                path: "/v1/models/{model}:predict"
                protocol: tf-serving
                cluster: llm
                models: { iris: llm }
                mode: monitor
                rateLimit: { requestsPerMinute: 5, tokensPerMinute: 100 }
                allow: [ { principal: "jwt:x", operations: [predict], models: [iris] } ]
                checks: { secrets: block, masking: topk, maskingTopK: 2 }
            """).Routes.Single();
        route.Protocol.Should().Be(GuardProtocol.TfServing);
        route.Mode.Should().Be(GuardMode.Monitor);
        route.EffectiveOperation.Should().Be("predict");
        route.Checks.Secrets.Should().Be(GuardAction.Block);
        route.Checks.MaskingTopK.Should().Be(2);
        route.RateLimit.Should().Be(new RateLimitConfig(5, 100));
        route.Allow.Single().Models.Should().Equal("iris");
    }

    [Fact]
    public void DetectorsRedisAndCommitInterval_AreRead()
    {
        var config = Parse(Cluster + """
            auth: { apiKeys: k.json }
            audit: { directory: a, commitIntervalMs: 20 }
            redis: { connection: "127.0.0.1:6379", prefix: "gw1:", onFailure: open }
            routes:
              - name: p
                path: /x
                cluster: llm
                allow: [ { role: a, operations: ["*"] } ]
                checks:
                  injection: annotate
                  extraction: { action: annotate, profile: t.json, features: [a, b], pradaDelta: 0.9, minQueries: 40, queryBudget: 7, nearDuplicateRadius: 0.1, burstCount: 3 }
                  drift: { profile: t.json, windowRows: 100 }
            """);
        config.Audit!.CommitIntervalMs.Should().Be(20);
        Parse(Cluster + "auth: { apiKeys: k.json }\ntelemetry: { otlpEndpoint: \"http://c:4317\" }\naudit: { directory: a }\nledger: { location: l.db, key: k.pem, name: g, anchorSeconds: 60, alarms: false }\nroutes:\n  - { name: c, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }")
            .Should().Match<GatewayConfig>(c => c.Telemetry == new TelemetryConfig("http://c:4317", "rampart-gateway") && c.Ledger == new LedgerConfig("l.db", "k.pem") { Name = "g", AnchorSeconds = 60, Alarms = false });
        config.Redis.Should().Be(new RedisConfig("127.0.0.1:6379", "gw1:", FailOpen: true));
        var checks = config.Routes.Single().Checks;
        checks.Injection.Should().Be(GuardAction.Annotate);
        checks.Extraction.Should().BeEquivalentTo(new ExtractionConfig { Action = GuardAction.Annotate, Profile = "t.json", Features = ["a", "b"], PradaDelta = 0.9, MinQueries = 40, QueryBudget = 7, NearDuplicateRadius = 0.1, BurstCount = 3 });
        checks.Drift.Should().Be(new DriftConfig("t.json", 100));
        Parse(Cluster + "auth: { apiKeys: k.json }\nredis: { connection: r }\nroutes:\n  - { name: c, path: /x, cluster: llm, allow: [ { role: a, operations: [x] } ] }")
            .Redis!.FailOpen.Should().BeFalse("a shared limit fails closed unless the config says otherwise");
    }
}
