using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>Password and TOTP code, checked by the API's own sign-in (lockout, replay, audit, a fresh session).</summary>
[DashboardAccess(AccessLevel.Anonymous)]
public sealed class SignInModel(UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, ServerOptions options, TimeProvider time) : DashboardPage
{
    [BindProperty(SupportsGet = true)]
    public string? Next { get; set; }

    public string? Error { get; private set; }

    public string? UserName { get; private set; }

    public void OnGet()
    {
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

        return LocalRedirect(IsLocal(Next) ? Next! : DashboardSetup.PathBase + "/");
    }

    /// <summary>Only a path inside the dashboard: never another site, never "//host" or "/\host".</summary>
    private static bool IsLocal(string? next) =>
        next is { Length: > 1 and <= 2000 } && next.StartsWith(DashboardSetup.PathBase + "/", StringComparison.Ordinal) && !next.Contains('\\', StringComparison.Ordinal) && !next.Any(char.IsControl);
}
