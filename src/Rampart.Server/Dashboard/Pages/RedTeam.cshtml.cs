using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Activity;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>A project's red-team runs, newest first, and the charts of one run (the newest unless ?run= names one).</summary>
[DashboardAccess(AccessLevel.Project, Operation.Read)]
public sealed class RedTeamModel(ServerDb db) : DashboardPage
{
    public IReadOnlyList<RedTeamRun> Runs { get; private set; } = [];

    public RedTeamRun? Selected { get; private set; }

    public RedTeamSummary? Summary { get; private set; }

    public async Task<IActionResult> OnGetAsync(long? run, CancellationToken cancellationToken)
    {
        var id = Project.Id;
        Runs = await db.RedTeamRuns.AsNoTracking().Where(r => r.ProjectId == id).OrderByDescending(r => r.Id).Take(100).ToListAsync(cancellationToken).ConfigureAwait(false);
        Selected = run is { } wanted
            ? await db.RedTeamRuns.AsNoTracking().FirstOrDefaultAsync(r => r.ProjectId == id && r.Id == wanted, cancellationToken).ConfigureAwait(false)
            : Runs.Count == 0 ? null : Runs[0];
        if (run is not null && Selected is null)
        {
            return NotFoundPage("No such red-team run in this project.");
        }

        Summary = Selected is null ? null : RedTeamSummary.FromJson(Selected.SummaryJson);
        return Page();
    }
}
