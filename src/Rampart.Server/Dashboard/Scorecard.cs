using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Registry;

namespace Rampart.Server.Dashboard;

/// <summary>One week of the trend: versions uploaded that week and the share of them with a verified signature.</summary>
public sealed record ScoreWeek(DateOnly Start, int Versions, double SignedShare);

/// <summary>An ML security scorecard of a project, from what the server stores.</summary>
public sealed record Scorecard(
    int Versions,
    int SignedVersions,
    IReadOnlyDictionary<string, int> OpenFindingsBySeverity,
    int AuditFindings,
    int PendingReview,
    int Quarantined,
    int OpenIncidents,
    IReadOnlyList<ScoreWeek> Trend)
{
    /// <summary>Severities from worst to mildest, as the scanner names them.</summary>
    public static readonly IReadOnlyList<string> Severities = ["critical", "high", "medium", "low", "info"];

    /// <summary>States whose findings still count as open (not rejected, not revoked).</summary>
    private static readonly string[] LiveStates = [VersionStates.Scanning, VersionStates.Quarantined, VersionStates.PendingReview, VersionStates.Released];

    public double SignedShare => Versions == 0 ? 0 : (double)SignedVersions / Versions;

    public static async Task<Scorecard> ComputeAsync(ServerDb db, long projectId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var versions = db.Versions.Where(v => v.ProjectId == projectId);
        var counts = await versions.GroupBy(v => new { v.State, Signed = v.SignatureStatus == "verified" })
            .Select(g => new { g.Key.State, g.Key.Signed, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false);

        // Findings are stored per version as JSON; their counts are kept beside them (VersionFindingCounts), filled
        // here for versions whose gate has finished and that have none yet, so a request sums numbers.
        await CountMissingAsync(db, projectId, cancellationToken).ConfigureAwait(false);
        // Only versions with findings are read (most have none); their six numbers are summed here.
        var counted = await (from c in db.VersionFindingCounts
                             join v in db.Versions on c.VersionId equals v.Id
                             where c.ProjectId == projectId && LiveStates.Contains(v.State) && c.Critical + c.High + c.Medium + c.Low + c.Info > 0
                             select new { c.Critical, c.High, c.Medium, c.Low, c.Info, c.Audit })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var bySeverity = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["critical"] = counted.Sum(c => c.Critical),
            ["high"] = counted.Sum(c => c.High),
            ["medium"] = counted.Sum(c => c.Medium),
            ["low"] = counted.Sum(c => c.Low),
            ["info"] = counted.Sum(c => c.Info),
        };
        var audit = counted.Sum(c => c.Audit);

        var openIncidents = await db.Incidents.CountAsync(i => i.ProjectId == projectId && i.State == "open", cancellationToken).ConfigureAwait(false);
        var since = StartOfWeek(now).AddDays(-7 * 7);
        // SQLite cannot compare DateTimeOffset columns, so the weeks are cut here (two small columns per version).
        var recent = (await versions.Select(v => new { v.CreatedAt, Signed = v.SignatureStatus == "verified" })
            .ToListAsync(cancellationToken).ConfigureAwait(false)).Where(v => StartOfWeek(v.CreatedAt) >= since).ToList();
        var trend = Enumerable.Range(0, 8).Select(i =>
        {
            var start = since.AddDays(7 * i);
            var week = recent.Where(v => StartOfWeek(v.CreatedAt) == start).ToList();
            return new ScoreWeek(start, week.Count, week.Count == 0 ? 0 : (double)week.Count(v => v.Signed) / week.Count);
        }).ToList();

        return new Scorecard(
            counts.Sum(c => c.Count),
            counts.Where(c => c.Signed).Sum(c => c.Count),
            bySeverity,
            audit,
            counts.Where(c => c.State == VersionStates.PendingReview).Sum(c => c.Count),
            counts.Where(c => c.State == VersionStates.Quarantined).Sum(c => c.Count),
            openIncidents,
            trend);
    }

    /// <summary>Counts the findings of the project's versions that have findings JSON (the gate finished) and no counts row yet.</summary>
    private static async Task CountMissingAsync(ServerDb db, long projectId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var missing = await db.Versions.Where(v => v.ProjectId == projectId && v.FindingsJson != null && !db.VersionFindingCounts.Any(c => c.VersionId == v.Id))
                .OrderBy(v => v.Id).Select(v => new { v.Id, v.FindingsJson }).Take(1000).ToListAsync(cancellationToken).ConfigureAwait(false);
            if (missing.Count == 0)
            {
                return;
            }

            var rows = new List<VersionFindingCounts>(missing.Count);
            foreach (var version in missing)
            {
                var row = new VersionFindingCounts { VersionId = version.Id, ProjectId = projectId };
                rows.Add(row);
                foreach (var finding in ArtifactGate.FromJson(version.FindingsJson))
                {
                    switch (finding.Severity.ToLowerInvariant())
                    {
                        case "critical": row.Critical++; break;
                        case "high": row.High++; break;
                        case "medium": row.Medium++; break;
                        case "low": row.Low++; break;
                        case "info": row.Info++; break;
                        default: break; // not a severity the scorecard shows
                    }

                    row.Audit += finding.Source == "audit" ? 1 : 0;
                }

                db.VersionFindingCounts.Add(row);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another request counted some of them first: the counts are the same; drop ours and look again.
            }
            finally
            {
                // Written (or dropped): the context does not keep tracking them, so a later count of the same version is not a conflict.
                foreach (var row in rows)
                {
                    db.Entry(row).State = EntityState.Detached;
                }
            }
        }
    }

    private static DateOnly StartOfWeek(DateTimeOffset at)
    {
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        return day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
    }
}
