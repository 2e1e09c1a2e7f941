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

        // Findings are stored per version as JSON; only live versions that have any are read.
        var findingsJson = await versions.Where(v => LiveStates.Contains(v.State) && v.FindingsJson != null && v.FindingsJson != "[]")
            .Select(v => v.FindingsJson).ToListAsync(cancellationToken).ConfigureAwait(false);
        var bySeverity = Severities.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        var audit = 0;
        foreach (var finding in findingsJson.SelectMany(ArtifactGate.FromJson))
        {
            var severity = finding.Severity.ToLowerInvariant();
            bySeverity[severity] = bySeverity.GetValueOrDefault(severity) + 1;
            audit += finding.Source == "audit" ? 1 : 0;
        }

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

    private static DateOnly StartOfWeek(DateTimeOffset at)
    {
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        return day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
    }
}
