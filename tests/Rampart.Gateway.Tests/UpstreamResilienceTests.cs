using System.Net;
using System.Text;

namespace Rampart.Gateway.Tests;

/// <summary>Retries only where safe, and active health checks against a flapping upstream, over real HTTP.</summary>
public sealed class UpstreamResilienceTests
{
    private static string Config(int retries, string extraCluster = "") => $$$"""
        auth: { apiKeys: keys.json }
        clusters:
          pair: { destinations: ["http://127.0.0.1:{{{DeadPort()}}}/", "{{upstream}}"], retries: {{{retries}}} }
          one: { destinations: ["{{upstream}}"], retries: {{{retries}}} }
          {{{extraCluster}}}
        routes:
          - { name: chat, path: /v1/chat/completions, protocol: openai-chat, cluster: pair, allow: [ { role: analyst, operations: ["*"] } ] }
          - { name: flaky, path: /flaky, cluster: one, allow: [ { role: analyst, operations: ["*"] } ] }
        """;

    private static int DeadPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: nothing listens there
    }

    private static async Task<HttpStatusCode> Send(GatewayRig rig, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(rig.Gateways[0].Address, path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", rig.Keys["alice"]);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await rig.Client.SendAsync(request);
        return response.StatusCode;
    }

    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task RefusedConnection_IsRetriedOnTheOtherDestination_EvenForPost()
    {
        await using var rig = await GatewayRig.StartAsync(Config(retries: 1));
        for (var i = 0; i < 12; i++)
        {
            (await Send(rig, HttpMethod.Post, "/v1/chat/completions", Chat)).Should().Be(HttpStatusCode.OK, $"request {i}: a refused connection never reached a model, so even a POST may go again");
        }
    }

    [Fact]
    public async Task WithoutRetries_TheDeadDestinationShowsAs502()
    {
        await using var rig = await GatewayRig.StartAsync(Config(retries: 0));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add(await Send(rig, HttpMethod.Post, "/v1/chat/completions", Chat));
        }

        statuses.Should().Contain(HttpStatusCode.BadGateway, "half the picks go to the dead destination (1 in 4096 that none does)").And.Contain(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ResetAfterTheRequestWasSent_IsRetriedForGet_NeverForPost()
    {
        await using var rig = await GatewayRig.StartAsync(Config(retries: 2));
        (await Send(rig, HttpMethod.Post, "/flaky", "{}")).Should().Be(HttpStatusCode.BadGateway);
        rig.Upstream.FlakyHits.Should().Be(1, "a POST that reached the upstream may have acted: it is not sent again");
        (await Send(rig, HttpMethod.Get, "/flaky")).Should().Be(HttpStatusCode.BadGateway);
        rig.Upstream.FlakyHits.Should().Be(1 + 3, "a GET is idempotent: the first try and 2 retries");
    }

    [Fact]
    public async Task ActiveHealthCheck_FlappingUpstream_Is503WhileDown_AndBackWhenUp()
    {
        var config = """
            auth: { apiKeys: keys.json }
            clusters:
              flap: { destinations: ["{{upstream}}"], healthPath: /health-flap, healthIntervalSeconds: 0.5 }
            routes:
              - { name: ok, path: /ok, cluster: flap, allow: [ { role: analyst, operations: ["*"] } ] }
            """;
        await using var rig = await GatewayRig.StartAsync(config);
        (await Send(rig, HttpMethod.Get, "/ok")).Should().Be(HttpStatusCode.OK);
        rig.Upstream.Healthy = false;
        (await Eventually(rig, HttpStatusCode.ServiceUnavailable)).Should().BeTrue("the active health check takes the destination out");
        rig.Upstream.Healthy = true;
        (await Eventually(rig, HttpStatusCode.OK)).Should().BeTrue("and puts it back once it answers again");
    }

    /// <summary>Polls GET /ok until it answers <paramref name="wanted"/> (the health check runs every 0.5 s; 20 s at most).</summary>
    private static async Task<bool> Eventually(GatewayRig rig, HttpStatusCode wanted)
    {
        for (var i = 0; i < 80; i++)
        {
            if (await Send(rig, HttpMethod.Get, "/ok") == wanted)
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }
}
