using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>What waits for a security reviewer: versions that passed the gate, then those it quarantined.</summary>
[DashboardAccess(AccessLevel.Project, Operation.Read)]
public sealed class QueueModel(ServerDb db) : DashboardPage
{
    private const int Shown = 200;

    public IReadOnlyList<VersionRow> Pending { get; private set; } = [];

    public IReadOnlyList<VersionRow> Quarantined { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Pending = await ProjectModel.LatestAsync(db, Project.Id, [VersionStates.PendingReview], Shown, cancellationToken).ConfigureAwait(false);
        Quarantined = await ProjectModel.LatestAsync(db, Project.Id, [VersionStates.Quarantined, VersionStates.Scanning], Shown, cancellationToken).ConfigureAwait(false);
    }
}
