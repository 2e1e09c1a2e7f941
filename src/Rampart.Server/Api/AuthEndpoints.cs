using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Api;

public sealed record LoginRequest(string? UserName, string? Password, string? Totp);

public sealed record CodeRequest(string? Code);

/// <summary>A sign-in attempt's result: the user and the new session's CSRF token, or the refusal's code and message.</summary>
internal sealed record LoginOutcome(ServerUser? User, string? Csrf, bool Mfa, string Code, string Message);

public sealed record TokenRequest(string? Name, string? Project, string[]? Operations, int? ExpiresInDays);

/// <summary>Login, logout, TOTP enrolment and API tokens.</summary>
internal static class AuthEndpoints
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    private const string TotpPurpose = "rampart.totp";

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Map("POST", "/auth/login", Requires.Anonymous, LoginAsync);
        api.Map("POST", "/auth/logout", Requires.Session, LogoutAsync);
        api.Map("GET", "/auth/me", Requires.User, MeAsync);
        api.Map("POST", "/account/mfa/enroll", Requires.Session, EnrollAsync);
        api.Map("POST", "/account/mfa/confirm", Requires.Session, ConfirmAsync);
        api.Map("GET", "/tokens", Requires.Session, ListTokensAsync);
        api.Map("POST", "/tokens", Requires.Session, CreateTokenAsync);
        api.Map("DELETE", "/tokens/{token}", Requires.Session, RevokeTokenAsync);
        if (api.ServiceProvider.GetRequiredService<ServerOptions>().Oidc is not null)
        {
            // Only with single sign-on configured: without it the server answers strangers on health and login alone.
            api.Map("GET", "/auth/sso", Requires.Anonymous, StartSso);
            api.Map("POST", "/account/mfa/verify", Requires.Session, VerifyAsync);
        }
    }

    /// <summary>Where the dashboard's sign-in page lives (SSO failures and the TOTP step go there).</summary>
    internal const string SignInPage = "/ui/sign-in";

    /// <summary>Only a path inside the dashboard: never another site, never "//host" or "/\host".</summary>
    internal static bool IsLocalReturn(string? next) =>
        next is { Length: > 1 and <= 2000 } && next.StartsWith("/ui/", StringComparison.Ordinal) && !next.Contains('\\', StringComparison.Ordinal) && !next.Any(char.IsControl);

    /// <summary>
    /// The OpenID Connect handler for <paramref name="sso"/>: authorization code flow with PKCE; state, nonce,
    /// signature, issuer, audience and lifetime are the handler's own checks at their defaults. Its callback never
    /// signs anyone in by itself: <see cref="CompleteSsoAsync"/> maps the identity to a local account and issues the
    /// same session a password login gets.
    /// </summary>
    internal static void AddSingleSignOn(AuthenticationBuilder authentication, OidcOptions sso)
    {
        sso.Validate();
        authentication.AddOpenIdConnect(SingleSignOn.Scheme, sso.DisplayName, o =>
        {
            o.Authority = sso.Authority;
            o.ClientId = sso.ClientId;
            o.ClientSecret = sso.ClientSecret;
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.ResponseMode = OpenIdConnectResponseMode.Query;
            o.UsePkce = true;
            o.CallbackPath = OidcOptions.CallbackPath;
            o.SignInScheme = CookieScheme;
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.DisableTelemetry = true;

            // Validate() allows an http authority only for a loopback IdP with the test switch on.
            o.RequireHttpsMetadata = !sso.AllowInsecureLoopback;
            o.Scope.Clear();
            foreach (var scope in sso.Scopes)
            {
                o.Scope.Add(scope);
            }

            o.TokenValidationParameters.NameClaimType = sso.UserNameClaim;

            // The handler drops "iss" and "acr" from the principal by default; the account key needs the issuer and the MFA rule may read acr.
            o.ClaimActions.Remove("iss");
            o.ClaimActions.Remove("acr");
            o.Events.OnRedirectToIdentityProvider = context =>
            {
                if (sso.PublicUrl is { } origin)
                {
                    context.ProtocolMessage.RedirectUri = origin.TrimEnd('/') + OidcOptions.CallbackPath;
                }

                return Task.CompletedTask;
            };
            o.Events.OnTicketReceived = context => CompleteSsoAsync(context, sso);
            o.Events.OnRemoteFailure = SsoFailedAsync;
        });
    }

    private static IResult StartSso(string? next) =>
        Results.Challenge(new AuthenticationProperties { RedirectUri = IsLocalReturn(next) ? next : "/ui/" }, [SingleSignOn.Scheme]);

    private static async Task CompleteSsoAsync(TicketReceivedContext context, OidcOptions sso)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var services = http.RequestServices;
        var db = services.GetRequiredService<ServerDb>();
        var audit = services.GetRequiredService<AuditTrail>();
        var outcome = await SingleSignOn.ProvisionAsync(http, context.Principal!, sso, services.GetRequiredService<UserManager<ServerUser>>(), db, audit, services.GetRequiredService<TimeProvider>(), http.RequestAborted).ConfigureAwait(false);
        if (outcome.User is not { } user)
        {
            var who = context.Principal?.FindFirstValue(sso.UserNameClaim) ?? context.Principal?.FindFirstValue("sub") ?? "";
            await audit.WriteAsync(db, http, who, "login.failed", detail: "sso: " + outcome.Detail, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            http.Response.Redirect(SignInPage + "?sso=refused");
            return;
        }

        await SignInAsync(http, user, outcome.Mfa).ConfigureAwait(false);
        await audit.WriteAsync(db, http, user.UserName!, "login", detail: outcome.Mfa ? "sso+idp-mfa" : "sso", cancellationToken: http.RequestAborted).ConfigureAwait(false);
        var next = IsLocalReturn(context.ReturnUri) ? context.ReturnUri! : "/ui/";
        if (!outcome.Mfa && user.TotpEnabled)
        {
            next = SignInPage + "?step=totp&next=" + Uri.EscapeDataString(next);
        }

        // A page that moves on by itself rather than a redirect: the session cookie is SameSite=Strict, and a browser
        // does not send it on a redirect chain that began at the IdP, but does on a navigation this page starts.
        var encoded = System.Text.Encodings.Web.HtmlEncoder.Default.Encode(next);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={encoded}\"><title>Signed in</title></head><body><p>Signed in. <a href=\"{encoded}\">Continue</a></p></body></html>", http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A refused callback (bad signature, issuer, audience, nonce, state, expired token, IdP error): audited like a failed login.</summary>
    private static async Task SsoFailedAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var db = http.RequestServices.GetRequiredService<ServerDb>();
        var audit = http.RequestServices.GetRequiredService<AuditTrail>();
        var reason = context.Failure?.Message ?? "unknown";
        await audit.WriteAsync(db, http, "", "login.failed", detail: "sso: " + (reason.Length > 500 ? reason[..500] : reason), cancellationToken: http.RequestAborted).ConfigureAwait(false);
        http.Response.Redirect(SignInPage + "?sso=failed");
    }

    private static async Task<IResult> VerifyAsync(HttpContext context, CodeRequest request, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var csrf = await VerifySessionTotpAsync(context, request.Code, users, db, audit, protection, options, time, cancellationToken).ConfigureAwait(false);
        return csrf is null ? ApiErrors.Result(400, "invalid_code", "that code is not valid now") : Results.Json(new { mfa = true, csrfToken = csrf });
    }

    /// <summary>
    /// The TOTP step of a session that signed in without one (single sign-on whose MFA claim is not trusted): a valid
    /// code, once only, re-issues the session as one that passed MFA. Failures count towards lockout.
    /// </summary>
    internal static async Task<string?> VerifySessionTotpAsync(HttpContext context, string? code, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var user = await users.FindByIdAsync(caller.UserId).ConfigureAwait(false) ?? throw new ApiException(401, "unauthenticated", "sign in again");
        if (!user.TotpEnabled)
        {
            throw ApiException.Conflict("this account has no TOTP enrolled; enrol it (POST /api/v1/account/mfa/enroll)");
        }

        var step = TotpCodes.Verify(Secret(protection, user), code, user.TotpLastStep, time.GetUtcNow());
        if (step is null)
        {
            await Lockout.FailedAsync(db, user, options, cancellationToken).ConfigureAwait(false);
            await audit.WriteAsync(db, context, caller.UserName, "login.failed", detail: "wrong or reused code (session step-up)", cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }

        user.TotpLastStep = step.Value;
        if (!(await users.UpdateAsync(user).ConfigureAwait(false)).Succeeded)
        {
            return null;
        }

        var csrf = await SignInAsync(context, user, mfa: true).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "login.mfa", detail: "totp step-up", cancellationToken: cancellationToken).ConfigureAwait(false);
        return csrf;
    }

    private static async Task<IResult> LoginAsync(HttpContext context, LoginRequest request, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var outcome = await PasswordSignInAsync(context, request, users, db, audit, protection, options, time, cancellationToken).ConfigureAwait(false);
        return outcome.User is not { } user
            ? ApiErrors.Result(401, outcome.Code, outcome.Message)
            : Results.Json(new { user = user.UserName, csrfToken = outcome.Csrf, mfa = outcome.Mfa, mfaEnrolled = user.TotpEnabled, serverAdmin = user.IsServerAdmin });
    }

    /// <summary>
    /// Password (Identity's hasher, lockout after repeated failures), then TOTP when enrolled (a code once only).
    /// Every success issues a fresh session (new id, new CSRF token), so a session planted before login is never promoted.
    /// The API's login and the dashboard's sign-in page both come here.
    /// </summary>
    internal static async Task<LoginOutcome> PasswordSignInAsync(HttpContext context, LoginRequest request, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        const string Refused = "wrong user name, password or code, or the account is locked";
        var refused = new LoginOutcome(null, null, false, "invalid_credentials", Refused);
        var user = request.UserName is { Length: > 0 and <= 256 } name ? await users.FindByNameAsync(name).ConfigureAwait(false) : null;
        if (user is null || request.Password is null)
        {
            await audit.WriteAsync(db, context, request.UserName ?? "", "login.failed", detail: "unknown user", cancellationToken: cancellationToken).ConfigureAwait(false);
            return refused;
        }

        if (Lockout.IsLockedOut(user, time))
        {
            await audit.WriteAsync(db, context, user.UserName!, "login.failed", detail: "locked out", cancellationToken: cancellationToken).ConfigureAwait(false);
            return refused;
        }

        if (!await users.CheckPasswordAsync(user, request.Password).ConfigureAwait(false))
        {
            await Lockout.FailedAsync(db, user, options, cancellationToken).ConfigureAwait(false);
            await audit.WriteAsync(db, context, user.UserName!, "login.failed", detail: "wrong password", cancellationToken: cancellationToken).ConfigureAwait(false);
            return refused;
        }

        var mfa = false;
        if (user.TotpEnabled)
        {
            var step = TotpCodes.Verify(Secret(protection, user), request.Totp, user.TotpLastStep, time.GetUtcNow());
            if (step is null)
            {
                await Lockout.FailedAsync(db, user, options, cancellationToken).ConfigureAwait(false);
                await audit.WriteAsync(db, context, user.UserName!, "login.failed", detail: request.Totp is null ? "code missing" : "wrong or reused code", cancellationToken: cancellationToken).ConfigureAwait(false);
                return request.Totp is null ? new LoginOutcome(null, null, false, "totp_required", "this account needs a TOTP code") : refused;
            }

            user.TotpLastStep = step.Value;
            var saved = await users.UpdateAsync(user).ConfigureAwait(false);
            if (!saved.Succeeded)
            {
                // A concurrent login changed the account (e.g. used the same code): refuse rather than accept a code twice.
                return refused;
            }

            mfa = true;
        }

        await users.ResetAccessFailedCountAsync(user).ConfigureAwait(false);
        var csrf = await SignInAsync(context, user, mfa).ConfigureAwait(false);
        await audit.WriteAsync(db, context, user.UserName!, "login", detail: mfa ? "password+totp" : "password", cancellationToken: cancellationToken).ConfigureAwait(false);
        return new LoginOutcome(user, csrf, mfa, "", "");
    }

    internal static async Task<string> SignInAsync(HttpContext context, ServerUser user, bool mfa)
    {
        var csrf = Tokens.Base64Url(RandomNumberGenerator.GetBytes(32));
        var identity = new ClaimsIdentity(
        [
            new Claim(ServerClaims.UserId, user.Id),
            new Claim(ServerClaims.UserName, user.UserName ?? user.Id),
            new Claim(ServerClaims.Session, Tokens.Base64Url(RandomNumberGenerator.GetBytes(16))),
            new Claim(ServerClaims.Csrf, csrf),
            new Claim(ServerClaims.Mfa, mfa ? "1" : "0"),
            new Claim(ServerClaims.Stamp, user.SecurityStamp ?? ""),
        ], CookieScheme);
        await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false }).ConfigureAwait(false);
        return csrf;
    }

    /// <summary>Ends every session of the account (the security stamp changes), not only this cookie.</summary>
    private static async Task<IResult> LogoutAsync(HttpContext context, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        await SignOutEverywhereAsync(context, users, db, audit, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>Ends every session of the account (the API's logout and the dashboard's sign-out).</summary>
    internal static async Task SignOutEverywhereAsync(HttpContext context, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        if (await users.FindByIdAsync(caller.UserId).ConfigureAwait(false) is { } user)
        {
            await users.UpdateSecurityStampAsync(user).ConfigureAwait(false);
        }

        await context.SignOutAsync(CookieScheme).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "logout", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> MeAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var user = await db.Users.FirstAsync(u => u.Id == caller.UserId, cancellationToken).ConfigureAwait(false);
        var roles = await (from m in db.Memberships join p in db.Projects on m.ProjectId equals p.Id where m.UserId == caller.UserId orderby p.Name select new { project = p.Name, role = m.Role }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var sso = await SingleSignOn.IsSsoManagedAsync(db, user.Id, cancellationToken).ConfigureAwait(false);

        // The session's CSRF token, for sessions that did not come from the JSON login (single sign-on); not readable cross-origin (no CORS).
        var csrf = caller.IsToken ? null : context.User.FindFirst(ServerClaims.Csrf)?.Value;
        return Results.Json(new { user = user.UserName, serverAdmin = user.IsServerAdmin, mfaEnrolled = user.TotpEnabled, mfa = caller.MfaPassed, token = caller.TokenId, ssoManaged = sso, csrfToken = csrf, roles });
    }

    private static async Task<IResult> EnrollAsync(HttpContext context, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, CancellationToken cancellationToken)
    {
        var (secret, uri) = await StartEnrolmentAsync(context, users, db, audit, protection, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { secret, uri });
    }

    /// <summary>Starts TOTP enrolment: a new secret, kept protected; returns it as Base32 and as an otpauth:// URI.</summary>
    internal static async Task<(string Secret, string Uri)> StartEnrolmentAsync(HttpContext context, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var user = await users.FindByIdAsync(caller.UserId).ConfigureAwait(false) ?? throw new ApiException(401, "unauthenticated", "sign in again");
        if (user.TotpEnabled)
        {
            throw ApiException.Conflict("TOTP is already enrolled for this account; an administrator must reset it");
        }

        var secret = TotpCodes.NewSecret();
        user.TotpSecretProtected = Convert.ToBase64String(protection.CreateProtector(TotpPurpose).Protect(secret));
        await users.UpdateAsync(user).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "mfa.enrol-started", cancellationToken: cancellationToken).ConfigureAwait(false);
        return (TotpCodes.ToBase32(secret), TotpCodes.OtpAuthUri("Rampart", user.UserName!, secret));
    }

    /// <summary>Confirms enrolment with a first code; the session is re-issued as one that passed MFA.</summary>
    private static async Task<IResult> ConfirmAsync(HttpContext context, CodeRequest request, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, TimeProvider time, CancellationToken cancellationToken)
    {
        var csrf = await ConfirmEnrolmentAsync(context, request.Code, users, db, audit, protection, time, cancellationToken).ConfigureAwait(false);
        return csrf is null ? ApiErrors.Result(400, "invalid_code", "that code is not valid now") : Results.Json(new { mfa = true, csrfToken = csrf });
    }

    /// <summary>The new session's CSRF token when <paramref name="code"/> confirms enrolment; null when the code is not valid now.</summary>
    internal static async Task<string?> ConfirmEnrolmentAsync(HttpContext context, string? code, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var user = await users.FindByIdAsync(caller.UserId).ConfigureAwait(false) ?? throw new ApiException(401, "unauthenticated", "sign in again");
        if (user.TotpEnabled || user.TotpSecretProtected is null)
        {
            throw ApiException.Conflict(user.TotpEnabled ? "TOTP is already enrolled" : "start enrolment first (POST /api/v1/account/mfa/enroll)");
        }

        var step = TotpCodes.Verify(Secret(protection, user), code, user.TotpLastStep, time.GetUtcNow());
        if (step is null)
        {
            await audit.WriteAsync(db, context, caller.UserName, "mfa.enrol-failed", cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }

        user.TotpEnabled = true;
        user.TotpLastStep = step.Value;
        await users.UpdateAsync(user).ConfigureAwait(false);
        await users.UpdateSecurityStampAsync(user).ConfigureAwait(false);
        var csrf = await SignInAsync(context, user, mfa: true).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "mfa.enabled", cancellationToken: cancellationToken).ConfigureAwait(false);
        return csrf;
    }

    private static byte[] Secret(IDataProtectionProvider protection, ServerUser user) =>
        protection.CreateProtector(TotpPurpose).Unprotect(Convert.FromBase64String(user.TotpSecretProtected!));

    private static async Task<IResult> ListTokensAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var rows = await (from t in db.Tokens join p in db.Projects on t.ProjectId equals p.Id where t.UserId == caller.UserId orderby t.Id select new { t, project = p.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows.Select(r => new { id = r.t.Id, name = r.t.Name, r.project, operations = r.t.Operations.Split(','), createdAt = r.t.CreatedAt, expiresAt = r.t.ExpiresAt, revokedAt = r.t.RevokedAt, lastUsedAt = r.t.LastUsedAt }));
    }

    /// <summary>A token for one project and some operations, never more than the creator's role grants there; shown once.</summary>
    private static async Task<IResult> CreateTokenAsync(HttpContext context, TokenRequest request, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        if (request.Project is null || request.Operations is not { Length: > 0 } || request.Name is not { Length: > 0 and <= 100 })
        {
            throw ApiException.BadRequest("a token needs a name (at most 100 characters), a project and at least one operation");
        }

        var operations = Tokens.ParseOperations(string.Join(',', request.Operations));
        if (operations.Count != request.Operations.Length)
        {
            throw ApiException.BadRequest($"operations are {string.Join(", ", Enum.GetNames<Operation>().Select(n => n.ToLowerInvariant()))}");
        }

        var days = request.ExpiresInDays ?? 90;
        if (days is < 1 or > 366)
        {
            throw ApiException.BadRequest("expiresInDays must be between 1 and 366");
        }

        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == request.Project, cancellationToken).ConfigureAwait(false);
        var user = await db.Users.FirstAsync(u => u.Id == caller.UserId, cancellationToken).ConfigureAwait(false);
        var role = user.IsServerAdmin ? ProjectRoles.Admin
            : project is null ? null
            : await db.Memberships.Where(m => m.ProjectId == project.Id && m.UserId == caller.UserId).Select(m => m.Role).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (project is null || role is null || !operations.All(ProjectRoles.Grants[role].Contains))
        {
            throw ApiException.Forbidden("a token can only carry operations your role grants in that project");
        }

        if (operations.Any(ProjectRoles.IsPrivileged) && !caller.MfaPassed)
        {
            throw new ApiException(403, "mfa_required", "tokens for reviewer or admin work need a session that passed TOTP");
        }

        var (id, token, hash) = Tokens.Create();
        var now = time.GetUtcNow();
        db.Tokens.Add(new ApiToken { Id = id, SecretHash = hash, UserId = caller.UserId, Name = request.Name, ProjectId = project.Id, Operations = Tokens.FormatOperations(operations), CreatedAt = now, ExpiresAt = now.AddDays(days) });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "token.created", project.Name, $"{id} operations={Tokens.FormatOperations(operations)} expires={now.AddDays(days):O}", cancellationToken).ConfigureAwait(false);
        return Results.Json(new { id, token, project = project.Name, operations = Tokens.FormatOperations(operations).Split(','), expiresAt = now.AddDays(days) }, statusCode: 201);
    }

    private static async Task<IResult> RevokeTokenAsync(HttpContext context, string token, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var row = await db.Tokens.FirstOrDefaultAsync(t => t.Id == token && t.UserId == caller.UserId, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound("no such token of yours");
        row.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, caller.UserName, "token.revoked", detail: row.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }
}
