using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rampart.Server.Data;

namespace Rampart.Server.Identity;

/// <summary>
/// "Authorization: Bearer rmp_..." API tokens: looked up by id, secret compared by hash in constant time, refused
/// when revoked, expired or when the owner is locked out. Every use is audited and stamps the token's last use.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ServerDb db, AuditTrail audit, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        if (Tokens.Parse(header["Bearer ".Length..].Trim()) is not { } presented)
        {
            return AuthenticateResult.Fail("not a Rampart API token");
        }

        var token = await db.Tokens.FirstOrDefaultAsync(t => t.Id == presented.Id, Context.RequestAborted).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (token is null || !Tokens.Matches(presented.Secret, token.SecretHash))
        {
            await audit.WriteAsync(db, Context, presented.Id, "token.refused", detail: "unknown token or wrong secret", cancellationToken: Context.RequestAborted).ConfigureAwait(false);
            return AuthenticateResult.Fail("invalid token");
        }

        if (token.RevokedAt is not null || token.ExpiresAt is { } expires && expires <= now)
        {
            await audit.WriteAsync(db, Context, token.Id, "token.refused", detail: token.RevokedAt is not null ? "revoked" : "expired", cancellationToken: Context.RequestAborted).ConfigureAwait(false);
            return AuthenticateResult.Fail("token revoked or expired");
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == token.UserId, Context.RequestAborted).ConfigureAwait(false);
        if (user is null || user.LockoutEnd is { } until && until > now)
        {
            return AuthenticateResult.Fail("the token's owner is locked out or gone");
        }

        token.LastUsedAt = now;
        await audit.WriteAsync(db, Context, $"{user.UserName} (token {token.Id})", "token.use", detail: $"{Request.Method} {Request.Path}", cancellationToken: Context.RequestAborted).ConfigureAwait(false);
        var identity = new ClaimsIdentity(
        [
            new Claim(ServerClaims.UserId, user.Id),
            new Claim(ServerClaims.UserName, user.UserName ?? user.Id),
            new Claim(ServerClaims.TokenId, token.Id),
            new Claim(ServerClaims.TokenProject, token.ProjectId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ServerClaims.TokenOperations, token.Operations),
            new Claim(ServerClaims.Mfa, user.TotpEnabled ? "1" : "0"),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
