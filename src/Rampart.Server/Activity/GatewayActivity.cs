using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;

namespace Rampart.Server.Activity;

/// <summary>Requests and blocks in one hour.</summary>
public sealed record HourCount(DateTimeOffset Start, int Requests, int Blocks);

/// <summary>A principal's requests and blocks in the window.</summary>
public sealed record PrincipalCount(string Principal, int Requests, int Blocks);

/// <summary>A named series of daily values (blocks of one rule, the highest drift score of one feature).</summary>
public sealed record DailySeries(string Name, IReadOnlyList<double> Values);

/// <summary>
/// What the gateway activity page shows, computed in the database from the indexed (project, hour) columns: requests
/// and blocks per hour over the last day, decisions, top principals, blocks by rule per day and the highest drift score
/// per feature per day over the last week.
/// </summary>
public sealed record GatewayActivity(
    IReadOnlyList<HourCount> Hours,
    IReadOnlyList<(string Decision, int Count)> Decisions,
    IReadOnlyList<PrincipalCount> TopPrincipals,
    IReadOnlyList<DateOnly> Days,
    IReadOnlyList<DailySeries> BlocksByRule,
    IReadOnlyList<DailySeries> DriftByFeature)
{
    public const int HoursShown = 24;
    public const int DaysShown = 7;
    public const int TopCount = 10;
    public const int MaxSeries = 6;

    public int Requests => Hours.Sum(h => h.Requests);

    public int Blocks => Hours.Sum(h => h.Blocks);

    public static async Task<GatewayActivity> ComputeAsync(ServerDb db, long projectId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var nowHour = GatewayEventEndpoints.HourOf(now);
        var fromHour = nowHour - HoursShown + 1;
        var events = db.GatewayEvents.Where(e => e.ProjectId == projectId);
        var day = events.Where(e => e.Hour >= fromHour && e.Hour <= nowHour);

        var perHour = await day.GroupBy(e => e.Hour).Select(g => new { Hour = g.Key, Requests = g.Count(), Blocks = g.Sum(e => e.Blocked ? 1 : 0) })
            .ToDictionaryAsync(x => x.Hour, cancellationToken).ConfigureAwait(false);
        var hours = Enumerable.Range(0, HoursShown).Select(i => fromHour + i)
            .Select(h => new HourCount(DateTimeOffset.FromUnixTimeSeconds(h * 3600), perHour.TryGetValue(h, out var c) ? c.Requests : 0, perHour.TryGetValue(h, out var b) ? b.Blocks : 0)).ToList();

        var decisions = (await day.GroupBy(e => e.Decision).Select(g => new { Decision = g.Key, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false))
            .OrderByDescending(d => d.Count).ThenBy(d => d.Decision, StringComparer.Ordinal).Select(d => (d.Decision, d.Count)).ToList();

        var principals = await day.GroupBy(e => e.Principal).Select(g => new { Principal = g.Key, Requests = g.Count(), Blocks = g.Sum(e => e.Blocked ? 1 : 0) })
            .OrderByDescending(p => p.Requests).ThenBy(p => p.Principal).Take(TopCount).ToListAsync(cancellationToken).ConfigureAwait(false);

        // The week: day 0 is six days ago, day 6 today (UTC days, cut by hour number).
        var today = nowHour / 24;
        var firstDay = today - DaysShown + 1;
        var days = Enumerable.Range(0, DaysShown).Select(i => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds((firstDay + i) * 86400).UtcDateTime)).ToList();
        var weekStart = firstDay * 24;

        // Blocked events grouped by their rule set (few distinct sets), then split per rule here.
        var blocked = await events.Where(e => e.Blocked && e.Hour >= weekStart && e.Hour <= nowHour).GroupBy(e => new { Day = e.Hour / 24, e.Rules })
            .Select(g => new { g.Key.Day, g.Key.Rules, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var byRule = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var group in blocked)
        {
            foreach (var rule in group.Rules.Length == 0 ? new[] { "(no rule)" } : group.Rules.Split(' '))
            {
                if (!byRule.TryGetValue(rule, out var values))
                {
                    byRule[rule] = values = new double[DaysShown];
                }

                values[group.Day - firstDay] += group.Count;
            }
        }

        var drift = await db.GatewayDrift.Where(d => d.ProjectId == projectId && d.Hour >= weekStart && d.Hour <= nowHour).GroupBy(d => new { d.Feature, Day = d.Hour / 24 })
            .Select(g => new { g.Key.Feature, g.Key.Day, Score = g.Max(d => d.Score) }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var byFeature = drift.GroupBy(d => d.Feature, StringComparer.Ordinal).Select(g =>
        {
            var values = new double[DaysShown];
            foreach (var d in g)
            {
                values[d.Day - firstDay] = d.Score;
            }

            return new DailySeries(g.Key, values);
        });

        return new GatewayActivity(
            hours,
            decisions,
            [.. principals.Select(p => new PrincipalCount(p.Principal, p.Requests, p.Blocks))],
            days,
            [.. byRule.Select(r => new DailySeries(r.Key, r.Value)).OrderByDescending(s => s.Values.Sum()).ThenBy(s => s.Name, StringComparer.Ordinal).Take(MaxSeries)],
            [.. byFeature.OrderByDescending(s => s.Values.Max()).ThenBy(s => s.Name, StringComparer.Ordinal).Take(MaxSeries)]);
    }
}
