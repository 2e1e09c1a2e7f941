using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Api;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Activity;

/// <summary>
/// One gateway audit entry as a gateway ships it (docs/server.md, "Gateway activity"): the audit entry's own field
/// names (<c>Rampart.Guard.Audit.AuditEntry</c>, camelCase), without bodies or digests, plus <c>drift</c>: feature name
/// to drift score for the features a drift check flagged on this request.
/// </summary>
public sealed record GatewayEventIn(
    DateTimeOffset? Time,
    string? RequestId,
    string? Principal,
    string? Route,
    string? Model,
    string? Operation,
    int? Status,
    string? Decision,
    string[]? Rules,
    double? LatencyMs,
    string? Evidence,
    Dictionary<string, double>? Drift);

/// <summary>A batch: the gateway's name (optional; the token's id otherwise) and up to <see cref="GatewayEventEndpoints.MaxBatch"/> events.</summary>
public sealed record GatewayEventBatch(string? Gateway, GatewayEventIn[]? Events);

/// <summary>
/// <c>POST /api/v1/projects/{project}/gateway/events</c> (operation <c>report</c>): validates a batch whole (one bad
/// event refuses the batch with its index), stores it, and deletes events older than the retention period.
/// </summary>
internal static partial class GatewayEventEndpoints
{
    public const int MaxBatch = 1000;

    /// <summary>The gateway's decisions (GuardMiddleware and GatewayAlarms), the only ones accepted.</summary>
    public static readonly FrozenSet<string> Decisions = new[]
    {
        "allow", "annotate", "redact", "block", "blocked", "refused", "forbidden", "rate_limited", "unauthenticated", "upstream_error", "alarm",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(10);

    public static void Map(IEndpointRouteBuilder api) =>
        api.Map("POST", "/projects/{project}/gateway/events", Requires.In(Operation.Report), IngestAsync);

    /// <summary>Whether a decision counts as a block on the dashboard.</summary>
    public static bool IsBlock(string decision) => decision is "block" or "blocked";

    /// <summary>Unix hours of <paramref name="time"/>.</summary>
    public static long HourOf(DateTimeOffset time) => (long)Math.Floor(time.ToUnixTimeSeconds() / 3600.0);

    private static async Task<IResult> IngestAsync(HttpContext context, GatewayEventBatch batch, ServerDb db, ServerOptions options, ActivityRetention retention, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var caller = Http.CallerOf(context);
        if (batch?.Events is not { } events)
        {
            throw ApiException.BadRequest("send {\"gateway\": name, \"events\": [...]}");
        }

        if (events.Length > MaxBatch)
        {
            throw ApiException.BadRequest($"at most {MaxBatch} events per batch (got {events.Length})");
        }

        var gateway = batch.Gateway ?? caller.TokenId ?? caller.UserName;
        if (!ValidName(gateway, 128))
        {
            throw ApiException.BadRequest("gateway: 1 to 128 printable characters");
        }

        var now = time.GetUtcNow();
        var oldest = now - options.GatewayEventRetention;
        var stored = 0;
        var skipped = 0;
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i] ?? throw ApiException.BadRequest($"events[{i}]: null");
            var error = Validate(e, now);
            if (error is not null)
            {
                throw ApiException.BadRequest($"events[{i}]: {error}");
            }

            if (e.Time!.Value < oldest)
            {
                skipped++; // older than the retention period: it would be deleted at once
                continue;
            }

            var hour = HourOf(e.Time.Value);
            db.GatewayEvents.Add(new GatewayEvent
            {
                ProjectId = project.Id,
                Hour = hour,
                Time = e.Time.Value.ToUniversalTime(),
                Gateway = gateway,
                RequestId = e.RequestId ?? "",
                Principal = e.Principal!,
                Route = e.Route!,
                Model = e.Model,
                Operation = e.Operation ?? "",
                Status = e.Status ?? 0,
                Decision = e.Decision!,
                Blocked = IsBlock(e.Decision!),
                Rules = string.Join(' ', (e.Rules ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
                LatencyMs = e.LatencyMs ?? 0,
                Evidence = e.Evidence,
            });
            foreach (var (feature, score) in e.Drift ?? [])
            {
                db.GatewayDrift.Add(new GatewayDrift { ProjectId = project.Id, Hour = hour, Route = e.Route!, Feature = feature, Score = score });
            }

            stored++;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await retention.PruneAsync(db, now, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { stored, skipped });
    }

    /// <summary>Why <paramref name="e"/> is not a gateway event, or null.</summary>
    internal static string? Validate(GatewayEventIn e, DateTimeOffset now)
    {
        if (e.Time is not { } at)
        {
            return "time is required";
        }

        if (at > now + MaxClockSkew)
        {
            return "time is in the future";
        }

        if (!ValidName(e.Principal, 256))
        {
            return "principal: 1 to 256 printable characters";
        }

        if (!ValidName(e.Route, 128))
        {
            return "route: 1 to 128 printable characters";
        }

        if (e.Decision is null || !Decisions.Contains(e.Decision))
        {
            return $"decision must be one of {string.Join(", ", Decisions.Order(StringComparer.Ordinal))}";
        }

        if ((e.Model is not null && !ValidName(e.Model, 256)) || (e.RequestId is { Length: > 0 } && !ValidName(e.RequestId, 128)) || (e.Operation is { Length: > 0 } && !ValidName(e.Operation, 64)))
        {
            return "model (256), requestId (128) and operation (64): printable characters";
        }

        if (e.Status is < 0 or > 999)
        {
            return "status must be an HTTP status";
        }

        if (e.LatencyMs is { } latency && (!double.IsFinite(latency) || latency < 0 || latency > 86_400_000))
        {
            return "latencyMs must be a non-negative number";
        }

        if (e.Rules is { } rules && (rules.Length > 32 || rules.Any(r => r is null || !RuleId().IsMatch(r))))
        {
            return "rules: at most 32 rule ids such as RAMP-GUARD-003";
        }

        if (e.Evidence is { Length: > 2000 })
        {
            return "evidence: at most 2000 characters";
        }

        if (e.Drift is { } drift && (drift.Count > 64 || drift.Any(d => !ValidName(d.Key, 128) || !double.IsFinite(d.Value) || d.Value < 0 || d.Value > 1000)))
        {
            return "drift: at most 64 features, each a name (128) and a finite score from 0 to 1000";
        }

        return null;
    }

    private static bool ValidName(string? text, int max) => text is { Length: > 0 } && text.Length <= max && !text.Any(char.IsControl);

    [GeneratedRegex("^[A-Z][A-Z0-9]{0,15}(-[A-Z0-9]{1,16}){1,4}$")]
    private static partial Regex RuleId();
}

/// <summary>Deletes gateway events older than <see cref="ServerOptions.GatewayEventRetention"/>, at most once per <see cref="Every"/> per server.</summary>
public sealed class ActivityRetention(ServerOptions options)
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    private long _last = long.MinValue;

    public async Task PruneAsync(ServerDb db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var last = Interlocked.Read(ref _last);
        if ((last != long.MinValue && Math.Abs(now.UtcTicks - last) < Every.Ticks) || Interlocked.CompareExchange(ref _last, now.UtcTicks, last) != last)
        {
            return;
        }

        var cutoff = GatewayEventEndpoints.HourOf(now - options.GatewayEventRetention);
        await db.GatewayEvents.Where(e => e.Hour < cutoff).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        await db.GatewayDrift.Where(d => d.Hour < cutoff).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
    }
}
