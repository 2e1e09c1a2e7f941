using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>The caller's account: roles, TOTP enrolment (the API's own enrol/confirm), API tokens.</summary>
[DashboardAccess(AccessLevel.Session)]
public sealed class AccountModel(UserManager<ServerUser> users, ServerDb db, AuditTrail audit, IDataProtectionProvider protection, TimeProvider time) : DashboardPage
{
    public ServerUser Account { get; private set; } = null!;

    public IReadOnlyList<(string Project, string Role)> Roles { get; private set; } = [];

    public IReadOnlyList<(ApiToken Token, string Project)> Tokens { get; private set; } = [];

    /// <summary>Set right after enrolment starts: the secret as Base32, the otpauth URI and its QR code.</summary>
    public (string Secret, string Uri)? Enrolment { get; private set; }

    public string? Message { get; private set; }

    public async Task OnGetAsync(string? done, CancellationToken cancellationToken)
    {
        Message = done == "mfa" ? "TOTP is enrolled; this session passed it." : null;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IActionResult> OnPostEnrolAsync(CancellationToken cancellationToken) => ActAsync(async () =>
    {
        Enrolment = await AuthEndpoints.StartEnrolmentAsync(HttpContext, users, db, audit, protection, cancellationToken).ConfigureAwait(false);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    });

    public Task<IActionResult> OnPostConfirmAsync(string? code, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        var csrf = await AuthEndpoints.ConfirmEnrolmentAsync(HttpContext, code?.Trim(), users, db, audit, protection, time, cancellationToken).ConfigureAwait(false);
        if (csrf is not null)
        {
            return Redirect(DashboardSetup.PathBase + "/account?done=mfa");
        }

        Message = "That code is not valid now; enter the current code from the authenticator app.";
        Response.StatusCode = 400;
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    });

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var id = Caller.UserId;
        Account = await db.Users.AsNoTracking().FirstAsync(u => u.Id == id, cancellationToken).ConfigureAwait(false);
        var roles = await (from m in db.Memberships join p in db.Projects on m.ProjectId equals p.Id where m.UserId == id orderby p.Name select new { p.Name, m.Role }).ToListAsync(cancellationToken).ConfigureAwait(false);
        Roles = [.. roles.Select(r => (r.Name, r.Role))];
        var tokens = await (from t in db.Tokens join p in db.Projects on t.ProjectId equals p.Id where t.UserId == id orderby t.Id select new { t, p.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        Tokens = [.. tokens.Select(t => (t.t, t.Name))];
    }
}
