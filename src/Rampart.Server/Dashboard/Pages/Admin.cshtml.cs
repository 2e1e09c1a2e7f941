using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>One user as the administrator sees them.</summary>
public sealed record UserRow(string Name, bool ServerAdmin, bool Totp, bool Locked, DateTimeOffset CreatedAt, string Roles);

/// <summary>One API token as the administrator sees it (never its secret: only its hash is stored).</summary>
public sealed record TokenRow(string Id, string Owner, string Name, string Project, string Operations, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>Users, their roles and TOTP state, and every API token: server administrators with TOTP only.</summary>
[DashboardAccess(AccessLevel.ServerAdmin)]
public sealed class AdminModel(ServerDb db, TimeProvider time) : DashboardPage
{
    public IReadOnlyList<UserRow> Users { get; private set; } = [];

    public IReadOnlyList<TokenRow> Tokens { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName).Take(1000).ToListAsync(cancellationToken).ConfigureAwait(false);
        var roles = await (from m in db.Memberships join p in db.Projects on m.ProjectId equals p.Id select new { m.UserId, p.Name, m.Role }).ToListAsync(cancellationToken).ConfigureAwait(false);
        Users = [.. users.Select(u => new UserRow(u.UserName ?? u.Id, u.IsServerAdmin, u.TotpEnabled, u.LockoutEnd is { } end && end > now, u.CreatedAt,
            string.Join(", ", roles.Where(r => r.UserId == u.Id).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => $"{r.Name}: {r.Role}"))))];
        Tokens = await (from t in db.Tokens
                        join u in db.Users on t.UserId equals u.Id
                        join p in db.Projects on t.ProjectId equals p.Id
                        orderby t.Id
                        select new TokenRow(t.Id, u.UserName ?? u.Id, t.Name, p.Name, t.Operations, t.ExpiresAt, t.RevokedAt, t.LastUsedAt))
                       .Take(1000).ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
