using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Incidents;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>An incident: playbook checklist (tick a step), timeline, notes and actions, closing review; all through the API's own incident code.</summary>
[DashboardAccess(AccessLevel.Project, Operation.Incident)]
public sealed class IncidentModel(ServerDb db, ServerLedger ledger, RegistryService registry, AuditTrail audit, TimeProvider time) : DashboardPage
{
    public Incident Incident { get; private set; } = null!;

    public IReadOnlyList<ChecklistItem> Checklist { get; private set; } = [];

    public IReadOnlyList<IncidentEvent> Timeline { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(long incident, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        var projectId = Project.Id;
        var row = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == incident && i.ProjectId == projectId, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return NotFoundPage("No such incident in this project.");
        }

        Incident = row;
        Checklist = IncidentEndpoints.ChecklistOf(row);
        Timeline = await db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == row.Id).OrderBy(e => e.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Page();
    });

    /// <summary>step, note, assign, quarantine or revoke: the API's action request, field for field.</summary>
    public Task<IActionResult> OnPostActAsync(long incident, string? action, string? step, string? text, string? assignee, string? artifact, string? version, CancellationToken cancellationToken) => ActAsync(async () =>
    {
        var request = new IncidentActionRequest(action, step, Blank(text), Blank(assignee), Blank(artifact), Blank(version), null, null, null);
        await IncidentEndpoints.ActOnAsync(HttpContext, incident, request, db, ledger, registry, audit, time, cancellationToken).ConfigureAwait(false);
        return Redirect($"{DashboardSetup.PathBase}/projects/{Uri.EscapeDataString(Project.Name)}/incidents/{incident}");
    });

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
