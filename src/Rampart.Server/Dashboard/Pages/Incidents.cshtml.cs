using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Incidents;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>A project's incidents, and a form to open one with a playbook (the API's own open).</summary>
[DashboardAccess(AccessLevel.Project, Operation.Incident)]
public sealed class IncidentsModel(ServerDb db, ServerLedger ledger, BlobStore blobs, TimeProvider time) : DashboardPage
{
    public IReadOnlyList<Incident> Rows { get; private set; } = [];

    public IReadOnlyList<Playbook> Playbooks { get; } = [.. Incidents.Playbooks.All.Values.OrderBy(p => p.Type, StringComparer.Ordinal)];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var id = Project.Id;
        Rows = await db.Incidents.AsNoTracking().Where(i => i.ProjectId == id).OrderByDescending(i => i.Id).Take(500).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IActionResult> OnPostAsync(string? type, string? title, string? severity, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        var incident = await IncidentEndpoints.StartIncidentAsync(HttpContext, new NewIncidentRequest(type, title, string.IsNullOrEmpty(severity) ? null : severity, null), "manual", db, ledger, blobs, time, cancellationToken).ConfigureAwait(false);
        return Redirect($"{DashboardSetup.PathBase}/projects/{Uri.EscapeDataString(Project.Name)}/incidents/{incident.Id}");
    });
}
