using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rampart.Server.Identity;

namespace Rampart.Server.Tests.Security;

/// <summary>
/// A small OpenID Connect provider on loopback, for tests only: discovery document, JWKS with an RSA key made here,
/// an authorize endpoint that redirects straight back with a code (the user "is" whoever <see cref="Claims"/> says),
/// and a token endpoint that checks the client, the redirect URI and PKCE (S256) and returns an RS256 id_token.
/// <see cref="Tamper"/> and <see cref="SignWithStrangerKey"/> make the id_token wrong in one way.
/// </summary>
internal sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "rampart-test";
    public const string ClientSecret = "client-secret-for-tests";
    private const string KeyId = "test-key-1";
    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _stranger = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);

    private TestIdentityProvider(WebApplication app) => _app = app;

    /// <summary>The issuer (also the authority): http://127.0.0.1:port.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>The user's claims for the next authorization (sub, preferred_username, groups, amr, ...).</summary>
    public Dictionary<string, object> Claims { get; set; } = [];

    /// <summary>Changes the id_token's payload after the standard claims are set (wrong iss, aud, nonce, exp).</summary>
    public Action<Dictionary<string, object>>? Tamper { get; set; }

    /// <summary>Sign with a key that is not in the JWKS (same key id).</summary>
    public bool SignWithStrangerKey { get; set; }

    /// <summary>What each authorize request carried (response_type, code_challenge_method, nonce, state, scope...).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AuthorizeRequests { get; } = new();

    /// <summary>Token requests that passed the client, redirect URI and PKCE checks.</summary>
    public int TokensIssued => _tokensIssued;

    private int _tokensIssued;

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var provider = new TestIdentityProvider(app);
        app.MapGet("/.well-known/openid-configuration", provider.Discovery);
        app.MapGet("/jwks", provider.Jwks);
        app.MapGet("/authorize", provider.Authorize);
        app.MapPost("/token", provider.TokenAsync);
        await app.StartAsync();
        provider.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return provider;
    }

    /// <summary>Options for a Rampart server that trusts this provider (loopback http allowed by the test switch).</summary>
    public OidcOptions Options(IReadOnlyList<OidcRoleMapping> roles, bool trustIdpMfa = false) => new()
    {
        Authority = Issuer,
        ClientId = ClientId,
        ClientSecret = ClientSecret,
        DisplayName = "Test IdP",
        Scopes = ["openid", "profile", "email", "groups"],
        Roles = roles,
        TrustIdpMfa = trustIdpMfa,
        AllowInsecureLoopback = true,
    };

    private IResult Discovery() => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = Issuer,
        ["authorization_endpoint"] = Issuer + "/authorize",
        ["token_endpoint"] = Issuer + "/token",
        ["jwks_uri"] = Issuer + "/jwks",
        ["response_types_supported"] = new[] { "code" },
        ["subject_types_supported"] = new[] { "public" },
        ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
    });

    private IResult Jwks()
    {
        var p = _key.ExportParameters(false);
        return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = B64(p.Modulus!), e = B64(p.Exponent!) } } });
    }

    private IResult Authorize(HttpRequest request)
    {
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        AuthorizeRequests.Enqueue(query);
        if (query.GetValueOrDefault("client_id") != ClientId || query.GetValueOrDefault("response_type") != "code"
            || query.GetValueOrDefault("code_challenge_method") != "S256" || string.IsNullOrEmpty(query.GetValueOrDefault("code_challenge"))
            || !query.TryGetValue("redirect_uri", out var redirect) || !query.TryGetValue("state", out var state))
        {
            return Results.BadRequest("not an authorization code request with PKCE (S256)");
        }

        var code = B64(RandomNumberGenerator.GetBytes(24));
        _codes[code] = new Grant(redirect, query["code_challenge"], query.GetValueOrDefault("nonce"), new Dictionary<string, object>(Claims, StringComparer.Ordinal));
        return Results.Redirect($"{redirect}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var (clientId, secret) = ClientOf(request, form);
        if (clientId != ClientId || secret != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }

        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant) || form["redirect_uri"] != grant.RedirectUri)
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }

        var verifier = form["code_verifier"].ToString();
        if (verifier.Length < 43 || B64(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "PKCE verifier does not match" }, statusCode: 400);
        }

        var accessToken = B64(RandomNumberGenerator.GetBytes(32));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(grant.Claims, StringComparer.Ordinal)
        {
            ["iss"] = Issuer,
            ["aud"] = ClientId,
            ["iat"] = now,
            ["exp"] = now + 600,
            ["at_hash"] = B64(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))[..16]),
        };
        if (grant.Nonce is not null)
        {
            payload["nonce"] = grant.Nonce;
        }

        Tamper?.Invoke(payload);
        Interlocked.Increment(ref _tokensIssued);
        return Results.Json(new { access_token = accessToken, token_type = "Bearer", expires_in = 600, id_token = Sign(payload) });
    }

    private string Sign(Dictionary<string, object> payload)
    {
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = KeyId }));
        var body = B64(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = (SignWithStrangerKey ? _stranger : _key).SignData(Encoding.ASCII.GetBytes(header + "." + body), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{B64(signature)}";
    }

    private static (string? Id, string? Secret) ClientOf(HttpRequest request, IFormCollection form)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }

        return (form["client_id"], form["client_secret"]);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
        _stranger.Dispose();
    }

    private sealed record Grant(string RedirectUri, string Challenge, string? Nonce, Dictionary<string, object> Claims);
}
