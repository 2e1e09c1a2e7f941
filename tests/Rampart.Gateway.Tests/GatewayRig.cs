using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Rampart.Guard.Audit;
using Rampart.TestKit;

namespace Rampart.Gateway.Tests;

/// <summary>
/// A gateway (or several sharing one folder, like replicas) with a config of the test's own, on loopback, in front of
/// a real <see cref="StubUpstream"/>. Keys: alice and bob (role analyst), mallory (role analyst). <c>{{upstream}}</c>
/// in the config is replaced by the stub's address.
/// </summary>
public sealed class GatewayRig : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly List<GatewayHost> _gateways = [];

    private GatewayRig(StubUpstream upstream) => Upstream = upstream;

    public StubUpstream Upstream { get; }

    public IReadOnlyList<GatewayHost> Gateways => _gateways;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    public string Directory => _temp.Path;

    public string AuditDirectory => Path.Combine(_temp.Path, "audit");

    /// <summary>Starts the stub and <paramref name="replicas"/> gateways on one config (each with its own audit folder after the first).</summary>
    public static async Task<GatewayRig> StartAsync(string config, int replicas = 1, Action<string>? prepare = null, GatewayHostOptions? options = null)
    {
        var rig = new GatewayRig(await StubUpstream.StartAsync());
        var store = new ApiKeyStore([]);
        var now = DateTimeOffset.UtcNow;
        foreach (var principal in new[] { "alice", "bob", "mallory" })
        {
            (store, var key, _) = store.Create(principal, ["analyst"], [], now, null);
            rig.Keys[principal] = key;
        }

        store.Save(Path.Combine(rig.Directory, "keys.json"));
        prepare?.Invoke(rig.Directory);
        if (config.Contains("gateway.pem", StringComparison.Ordinal))
        {
            // A provenance ledger and the gateway's signing key, as `rampart ledger init` and a key file would give.
            using var signer = Rampart.Provenance.Signing.LedgerSigner.Generate("gateway");
            await File.WriteAllTextAsync(Path.Combine(rig.Directory, "gateway.pem"), signer.ExportPrivateKeyPem());
            await (await Rampart.Provenance.Ledger.InitializeAsync(Path.Combine(rig.Directory, "ledger.db"), "test-ledger")).DisposeAsync();
        }

        for (var i = 0; i < replicas; i++)
        {
            var text = config.Replace("{{upstream}}", rig.Upstream.Address.ToString(), StringComparison.Ordinal)
                .Replace("{{audit}}", i == 0 ? "audit" : $"audit-{i}", StringComparison.Ordinal);
            rig._gateways.Add(await GatewayHost.StartAsync(GatewayConfigParser.Parse(text, "gateway.yaml", rig.Directory), (options ?? new GatewayHostOptions()) with { Listen = text.Contains("\ntls:", StringComparison.Ordinal) || text.StartsWith("tls:", StringComparison.Ordinal) ? "https://127.0.0.1:0" : "http://127.0.0.1:0" }));
        }

        return rig;
    }

    public async Task<(HttpStatusCode Status, JsonNode? Json, string? RetryAfter)> PostAsync(string principal, string path, string json, int replica = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_gateways[replica].Address, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Keys[principal]);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? node = null;
        try
        {
            node = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return (response.StatusCode, node, response.Headers.TryGetValues("Retry-After", out var retry) ? retry.Single() : null);
    }

    /// <summary>The audit entries of the first gateway, after closing nothing (entries are durable once answered).</summary>
    public IReadOnlyList<AuditEntry> Audit(AuditQuery? query = null) => [.. AuditVerifier.Query(AuditDirectory, query ?? new AuditQuery())];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        _temp.Dispose();
    }
}
