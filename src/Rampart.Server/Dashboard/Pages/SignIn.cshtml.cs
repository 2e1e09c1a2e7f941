using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>
/// Password and TOTP code, checked by the API's own sign-in (lockout, replay, audit, a fresh session); with single
/// sign-on configured also a "Sign in with ..." button, the IdP's refusals, and the TOTP step of an SSO session
/// whose MFA claim is not trusted.
/// </summary>
[DashboardAccess(AccessLevel.Anonymous)]
public sealed class SignInModel(UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time) : DashboardPage
{
    [BindProperty(SupportsGet = true)]
    public string? Next { get; set; }

    /// <summary>"failed" (the IdP's answer did not pass the checks) or "refused" (no account could be given).</summary>
    [BindProperty(SupportsGet = true, Name = "sso")]
    public string? SsoResult { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Step { get; set; }

    public string? Error { get; private set; }

    public string? UserName { get; private set; }

    public string? SsoName => options.Oidc?.DisplayName;

    /// <summary>A signed-in session that still needs its TOTP code (single sign-on without a trusted MFA claim).</summary>
    public bool TotpStep => Step == "totp" && Caller.From(User) is { MfaPassed: false, IsToken: false };

    public void OnGet()
    {
        Error = SsoResult switch
        {
            "failed" => "Single sign-on failed: the identity provider's answer did not pass the checks.",
            "refused" => "Single sign-on gave no account here (see the audit log, or ask an administrator).",
            _ => null,
        };
    }

    public async Task<IActionResult> OnPostAsync(string? userName, string? password, string? code, CancellationToken cancellationToken)
    {
        var totp = string.IsNullOrWhiteSpace(code) ? null : code.Trim();
        var outcome = await AuthEndpoints.PasswordSignInAsync(HttpContext, new LoginRequest(userName, password, totp), users, db, audit, protection, options, time, cancellationToken).ConfigureAwait(false);
        if (outcome.User is null)
        {
            UserName = userName;
            Error = outcome.Code == "totp_required" ? "This account needs the code from its authenticator app." : "Wrong user name, password or code, or the account is locked.";
            Response.StatusCode = 401;
            return Page();
        }

        return LocalRedirect(AuthEndpoints.IsLocalReturn(Next) ? Next! : DashboardSetup.PathBase + "/");
    }

    /// <summary>The TOTP step of a session that signed in through the IdP (the API's own step-up: replay and lockout apply).</summary>
    public async Task<IActionResult> OnPostTotpAsync(string? code, CancellationToken cancellationToken)
    {
        Step = "totp";
        if (Caller.From(User) is not { IsToken: false })
        {
            return Redirect(DashboardSetup.PathBase + "/sign-in");
        }

        string? csrf;
        try
        {
            csrf = await AuthEndpoints.VerifySessionTotpAsync(HttpContext, code?.Trim(), users, db, audit, protection, options, time, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            Error = e.Message;
            Response.StatusCode = e.Status;
            return Page();
        }

        if (csrf is null)
        {
            Error = "That code is not valid now.";
            Response.StatusCode = 401;
            return Page();
        }

        return LocalRedirect(AuthEndpoints.IsLocalReturn(Next) ? Next! : DashboardSetup.PathBase + "/");
    }
}
