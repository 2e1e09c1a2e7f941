using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>One row of the projects page.</summary>
public sealed record ProjectRow(string Name, string Role, int Versions, int PendingReview, int Quarantined, int OpenIncidents);

/// <summary>The projects the caller holds a role in (all of them for a server administrator).</summary>
[DashboardAccess(AccessLevel.User)]
public sealed class IndexModel(ServerDb db) : DashboardPage
{
    public IReadOnlyList<ProjectRow> Projects { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var id = Caller.UserId;
        var admin = await db.Users.AnyAsync(u => u.Id == id && u.IsServerAdmin, cancellationToken).ConfigureAwait(false);
        var projects = admin
            ? await db.Projects.OrderBy(p => p.Name).Select(p => new { p.Id, p.Name, Role = "admin" }).ToListAsync(cancellationToken).ConfigureAwait(false)
            : await (from m in db.Memberships join p in db.Projects on m.ProjectId equals p.Id where m.UserId == id orderby p.Name select new { p.Id, p.Name, m.Role }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var ids = projects.Select(p => p.Id).ToList();
        var states = await db.Versions.Where(v => ids.Contains(v.ProjectId)).GroupBy(v => new { v.ProjectId, v.State })
            .Select(g => new { g.Key.ProjectId, g.Key.State, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var incidents = await db.Incidents.Where(i => ids.Contains(i.ProjectId) && i.State == "open").GroupBy(i => i.ProjectId)
            .Select(g => new { ProjectId = g.Key, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false);
        Projects = [.. projects.Select(p => new ProjectRow(
            p.Name,
            p.Role,
            states.Where(s => s.ProjectId == p.Id).Sum(s => s.Count),
            states.Where(s => s.ProjectId == p.Id && s.State == VersionStates.PendingReview).Sum(s => s.Count),
            states.Where(s => s.ProjectId == p.Id && s.State == VersionStates.Quarantined).Sum(s => s.Count),
            incidents.Where(i => i.ProjectId == p.Id).Sum(i => i.Count)))];
    }
}
