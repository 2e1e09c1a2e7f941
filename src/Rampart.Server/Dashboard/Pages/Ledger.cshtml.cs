using Rampart.Provenance;
using Rampart.Server.Hosting;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>The provenance ledger's verification state: every entry re-hashed and its signature checked, the Merkle root recomputed.</summary>
[DashboardAccess(AccessLevel.ServerAdmin)]
public sealed class LedgerModel(ServerLedger ledger) : DashboardPage
{
    public LedgerVerification Verification { get; private set; } = null!;

    public string PublicKeyPem => ledger.PublicKeyPem;

    public string Origin => ledger.Ledger.Origin;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Verification = await ledger.Ledger.VerifyAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
