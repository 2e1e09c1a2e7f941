using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>Ends every session of the account, as the API's logout.</summary>
[DashboardAccess(AccessLevel.Session)]
public sealed class SignOutModel(UserManager<ServerUser> users, ServerDb db, AuditTrail audit) : DashboardPage
{
    public IActionResult OnGet() => Redirect(DashboardSetup.PathBase + "/");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await AuthEndpoints.SignOutEverywhereAsync(HttpContext, users, db, audit, cancellationToken).ConfigureAwait(false);
        return Redirect(DashboardSetup.PathBase + "/sign-in");
    }
}
