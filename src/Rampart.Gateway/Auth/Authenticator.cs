using System.Collections.Immutable;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Rampart.Core.IO;
using Rampart.Gateway.Config;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Auth;

/// <summary>Who the caller is, or why not; <see cref="KeyScopes"/> limits an API key to some routes.</summary>
internal sealed record AuthResult(GuardPrincipal? Principal, string? Refusal, ImmutableArray<string> KeyScopes = default);

/// <summary>
/// Authenticates every request: an API key (<c>Authorization: Bearer rk_...</c> or <c>X-Api-Key</c>) against the key
/// file, or a JWT bearer token (issuer, audience, lifetime and signature against the JWKS, via Microsoft.IdentityModel's
/// <see cref="JsonWebTokenHandler"/>, the validator ASP.NET's JwtBearer uses), or, when neither is presented, the
/// client certificate of the TLS connection (already checked against tls.clientCa in the handshake) mapped to a
/// principal by auth.certificates.
/// </summary>
internal sealed class Authenticator
{
    private readonly Func<ApiKeyStore>? _keys;
    private readonly JwtConfig? _jwt;
    private readonly TokenValidationParameters? _parameters;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _time;
    private readonly CertificatePrincipals _certificates;

    public Authenticator(Func<ApiKeyStore>? keys, JwtConfig? jwt, IEnumerable<SecurityKey>? signingKeys, TimeProvider time, ImmutableArray<CertificatePrincipal> certificates = default)
    {
        _keys = keys;
        _certificates = new CertificatePrincipals(certificates.IsDefault ? [] : certificates);
        _jwt = jwt;
        _time = time;
        if (jwt is not null)
        {
            _parameters = new TokenValidationParameters
            {
                ValidIssuer = jwt.Issuer,
                ValidAudience = jwt.Audience,
                IssuerSigningKeys = signingKeys ?? [],
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                ValidAlgorithms = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"],
                LifetimeValidator = (notBefore, expires, _, p) => Lifetime(notBefore, expires, p.ClockSkew),
                RoleClaimType = jwt.RolesClaim,
            };
        }
    }

    /// <param name="authorization">The Authorization header (an API key or a token as Bearer).</param>
    /// <param name="apiKeyHeader">The X-Api-Key header.</param>
    /// <param name="clientCertificate">The TLS client certificate, which Kestrel only hands over after <see cref="TlsMaterial.IsTrustedClient"/> accepted it.</param>
    public async ValueTask<AuthResult> AuthenticateAsync(string? authorization, string? apiKeyHeader, X509Certificate2? clientCertificate = null)
    {
        var presented = apiKeyHeader;
        if (presented is null && authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization[7..].Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            if (clientCertificate is not null && _certificates.Any)
            {
                return _certificates.Map(clientCertificate);
            }

            return new AuthResult(null, _certificates.Any
                ? "credentials required (a client certificate, or Authorization: Bearer <API key or token>)"
                : "credentials required (Authorization: Bearer <API key or token>)");
        }

        if (presented.StartsWith("rk_", StringComparison.Ordinal))
        {
            if (_keys is null)
            {
                return new AuthResult(null, "API keys are not accepted here");
            }

            var (record, refusal) = _keys().Authenticate(presented, _time.GetUtcNow());
            return record is null
                ? new AuthResult(null, refusal)
                : new AuthResult(new GuardPrincipal(record.Principal, record.Roles), null, record.Scopes);
        }

        if (_parameters is null)
        {
            return new AuthResult(null, "bearer tokens are not accepted here");
        }

        var result = await _handler.ValidateTokenAsync(presented, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return new AuthResult(null, "invalid token: " + Describe(result.Exception));
        }

        var identity = result.ClaimsIdentity;
        var subject = identity.FindFirst("sub")?.Value ?? identity.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            return new AuthResult(null, "invalid token: no subject");
        }

        var roles = identity.FindAll(_jwt!.RolesClaim).Select(c => c.Value).ToImmutableArray();
        return new AuthResult(new GuardPrincipal("jwt:" + subject, roles), null, ["*"]);
    }

    private bool Lifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } e && e.ToUniversalTime() + skew > now && (notBefore is null || notBefore.Value.ToUniversalTime() - skew <= now);
    }

    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenInvalidIssuerException => "wrong issuer",
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException or SecurityTokenNotYetValidException => "expired or not yet valid",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "bad signature",
        SecurityTokenInvalidAlgorithmException => "algorithm not allowed",
        _ => "malformed",
    };

    /// <summary>Signing keys from a JWKS file or an http(s) URL (fetched at start and on reload).</summary>
    public static async Task<IReadOnlyList<SecurityKey>> LoadJwksAsync(string location, string baseDirectory, CancellationToken cancellationToken)
    {
        string json;
        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            json = await client.GetStringAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            json = await BoundedFile.ReadAllTextAsync(Path.Combine(baseDirectory, location), 4L << 20, null, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return [.. new JsonWebKeySet(json).GetSigningKeys()];
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{location}: not a JWKS document ({e.Message})", e);
        }
    }
}
