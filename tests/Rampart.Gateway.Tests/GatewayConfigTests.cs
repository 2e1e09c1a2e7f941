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
}
