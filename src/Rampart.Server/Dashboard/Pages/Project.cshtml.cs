using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>One version in a list.</summary>
public sealed record VersionRow(string Artifact, string Kind, string Version, string State, string? Scan, string? Signature, string Uploader, DateTimeOffset CreatedAt);

/// <summary>A project: its scorecard with a trend, its models and datasets, the latest versions.</summary>
[DashboardAccess(AccessLevel.Project, Operation.Read)]
public sealed class ProjectModel(ServerDb db, TimeProvider time) : DashboardPage
{
    private const int PageSize = 50;

    public Scorecard Score { get; private set; } = null!;

    public IReadOnlyList<(string Name, string Kind, int Versions)> Artifacts { get; private set; } = [];

    public IReadOnlyList<VersionRow> Latest { get; private set; } = [];

    /// <summary>The newest red-team run sent for this project, if any.</summary>
    public RedTeamRun? LastRedTeam { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var projectId = Project.Id;
        Score = await Scorecard.ComputeAsync(db, projectId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var artifacts = await db.Artifacts.Where(a => a.ProjectId == projectId).OrderBy(a => a.Name)
            .Select(a => new { a.Name, a.Kind, Count = db.Versions.Count(v => v.ArtifactId == a.Id) }).Take(500).ToListAsync(cancellationToken).ConfigureAwait(false);
        Artifacts = [.. artifacts.Select(a => (a.Name, a.Kind, a.Count))];
        Latest = await LatestAsync(db, projectId, null, PageSize, cancellationToken).ConfigureAwait(false);
        LastRedTeam = await db.RedTeamRuns.AsNoTracking().Where(r => r.ProjectId == projectId).OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest versions of a project, optionally only those in <paramref name="states"/>.</summary>
    internal static async Task<IReadOnlyList<VersionRow>> LatestAsync(ServerDb db, long projectId, string[]? states, int count, CancellationToken cancellationToken)
    {
        var query = db.Versions.Where(v => v.ProjectId == projectId);
        if (states is not null)
        {
            query = query.Where(v => states.Contains(v.State));
        }

        var rows = await (from v in query.OrderByDescending(v => v.Id).Take(count)
                          join a in db.Artifacts on v.ArtifactId equals a.Id
                          select new VersionRow(a.Name, a.Kind, v.Label, v.State, v.ScanVerdict, v.SignatureStatus, v.UploaderName, v.CreatedAt))
                         .ToListAsync(cancellationToken).ConfigureAwait(false);
        return rows;
    }
}
