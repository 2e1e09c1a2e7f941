using Rampart.Server.Activity;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>A project's gateway activity, from the events its gateways ship (docs/dashboard.md).</summary>
[DashboardAccess(AccessLevel.Project, Operation.Read)]
public sealed class GatewayModel(ServerDb db, TimeProvider time) : DashboardPage
{
    public GatewayActivity Activity { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Activity = await GatewayActivity.ComputeAsync(db, Project.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
}
