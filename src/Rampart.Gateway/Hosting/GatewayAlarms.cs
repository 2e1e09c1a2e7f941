using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Rampart.Guard.Alarms;
using Rampart.Guard.Audit;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Pipeline;
using Rampart.Provenance;
using Rampart.Provenance.Records;
using StackExchange.Redis;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// Turns detector alarms into gateway events: an audit entry (decision <c>alarm</c>, the rule, the principal and the
/// evidence, hash-chained like every entry) and, with <c>ledger:</c>, an <c>incident</c> record in the provenance
/// ledger whose subject is that audit entry's hash. Also feeds each route's <see cref="HealthMonitor"/> (refusal rate,
/// injection score, error rate, latency) and raises its Page-Hinkley alarms (RAMP-GUARD-109: a rising injection
/// score is an injection campaign). Further sinks (tests, a pager) can be added. With <c>redis:</c>, the quiet time
/// is shared by the replicas (<c>SET NX</c> with the quiet time as expiry), so a client that trips PRADA on every
/// replica raises one alarm, not one per replica; if Redis cannot be reached the alarm is raised anyway (a repeated
/// alarm is better than a lost one).
/// </summary>
internal sealed partial class GatewayAlarms(AuditLog? audit, Ledger? ledger, IReadOnlyList<IGuardAlarmSink> sinks, ILogger logger, IDatabase? redis = null, string redisPrefix = "rampart:") : IGuardAlarmSink
{
    /// <summary>The same alarm (rule, principal, route) is raised at most once in this time: a blocked extraction client
    /// keeps tripping PRADA on every query, and one event (not thousands) is what an operator needs.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, HealthMonitor> _health = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Rule, string Principal, string Route, string Signal), DateTimeOffset> _last = new();

    /// <summary>The alarms among a finished request's signals, plus the route's health alarms; each one raised.</summary>
    public async ValueTask ObserveAsync(AuditEntry outcome, IEnumerable<GuardSignal> signals, CancellationToken cancellationToken)
    {
        var list = signals as IReadOnlyCollection<GuardSignal> ?? [.. signals];
        var alarms = GuardAlarm.FromSignals(list, outcome.Principal, outcome.Route, outcome.RequestId, outcome.Time).ToList();
        var injection = list.Where(s => s.RuleId.StartsWith("RAMP-LLM-", StringComparison.Ordinal)).Select(s => s.Score).DefaultIfEmpty(0).Max();
        var health = _health.GetOrAdd(outcome.Route, _ => new HealthMonitor());
        var refused = outcome.Decision is "blocked" or "refused" or "forbidden" or "rate_limited";
        foreach (var signal in health.Observe(refused, injection, outcome.Status >= 500, outcome.LatencyMs))
        {
            alarms.Add(new GuardAlarm(signal.RuleId, outcome.Principal, signal.Reason, outcome.Time) { Route = outcome.Route, RequestId = outcome.RequestId, Score = signal.Score });
        }

        foreach (var alarm in alarms)
        {
            // Health alarms share one rule id; each signal (refusal rate, injection score, ...) is its own alarm.
            var key = (alarm.RuleId, alarm.Principal, alarm.Route, alarm.RuleId == HealthMonitor.HealthRuleId ? alarm.Evidence : "");
            var previous = _last.TryGetValue(key, out var at) ? at : (DateTimeOffset?)null;
            if (previous is { } p && alarm.Time - p < Quiet)
            {
                continue;
            }

            if (_last.Count > 100_000)
            {
                _last.Clear(); // bounded memory: forgetting only means an alarm may repeat sooner
            }

            _last[key] = alarm.Time;
            if (!await ClaimAsync(key).ConfigureAwait(false))
            {
                continue; // another replica raised it within the quiet time
            }

            await RaiseAsync(alarm, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether this replica is the one to raise the alarm: always without Redis, else the first to set its key.</summary>
    private async ValueTask<bool> ClaimAsync((string Rule, string Principal, string Route, string Signal) key)
    {
        if (redis is null)
        {
            return true;
        }

        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{key.Rule}\n{key.Principal}\n{key.Route}\n{key.Signal}")));
        try
        {
            return await redis.StringSetAsync(redisPrefix + "alarm:" + digest, "1", Quiet, When.NotExists).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            AlarmDedupFailed(logger, e, key.Rule);
            return true;
        }
    }

    public async ValueTask RaiseAsync(GuardAlarm alarm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        AlarmRaised(logger, alarm.RuleId, alarm.Principal, alarm.Route, alarm.Evidence);
        AuditEntry? written = null;
        if (audit is not null)
        {
            written = await audit.AppendAsync(new AuditEntry
            {
                Time = alarm.Time,
                RequestId = alarm.RequestId ?? "",
                Principal = alarm.Principal,
                Route = alarm.Route,
                Operation = "alarm",
                Decision = "alarm",
                Rules = [alarm.RuleId],
                Evidence = alarm.Evidence,
            }).ConfigureAwait(false);
        }

        if (ledger is not null)
        {
            var subject = written is null ? "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(alarm.ToString()))) : "sha256:" + written.Hash;
            var record = ProvenanceRecord.Create(RecordKinds.Incident)
                .Add("subjects", subject)
                .Set("summary", string.Create(CultureInfo.InvariantCulture, $"{alarm.RuleId} on route {alarm.Route} for principal {alarm.Principal}: {alarm.Evidence}"))
                .Set("severity", "high")
                .Build();
            await ledger.AppendAsync(record, cancellationToken).ConfigureAwait(false);
        }

        foreach (var sink in sinks)
        {
            await sink.RaiseAsync(alarm, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "the shared alarm de-duplication in Redis failed for {RuleId}; raising the alarm here")]
    private static partial void AlarmDedupFailed(ILogger logger, Exception exception, string ruleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "alarm {RuleId} for {Principal} on route {Route}: {Evidence}")]
    private static partial void AlarmRaised(ILogger logger, string ruleId, string principal, string route, string evidence);
}
