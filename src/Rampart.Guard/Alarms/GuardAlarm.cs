using System.Collections.Immutable;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Alarms;

/// <summary>
/// An alarm: a detector concluded that something is under way, beyond one request: model extraction (PRADA,
/// RAMP-GUARD-101), input drift (RAMP-GUARD-108), a health signal such as a rising injection score, i.e. an injection
/// campaign (RAMP-GUARD-109). Who (the principal, or "*" for the whole route), what (the rule id and its evidence),
/// where (route) and when. Hosts hand alarms to every <see cref="IGuardAlarmSink"/> they are configured with.
/// </summary>
public sealed record GuardAlarm(string RuleId, string Principal, string Evidence, DateTimeOffset Time)
{
    public string Route { get; init; } = "";

    /// <summary>The request that raised it, when one did.</summary>
    public string? RequestId { get; init; }

    public double Score { get; init; }

    /// <summary>
    /// The alarms among a request's signals: signals whose rule is an alarm rule (<see cref="AlarmRules"/>), one per
    /// rule, with the reasons of that rule's signals joined as evidence.
    /// </summary>
    public static ImmutableArray<GuardAlarm> FromSignals(IEnumerable<GuardSignal> signals, string principal, string route, string? requestId, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(signals);
        return [.. signals.Where(s => AlarmRules.Contains(s.RuleId)).GroupBy(s => s.RuleId, StringComparer.Ordinal)
            .Select(g => new GuardAlarm(g.Key, g.Key == DriftRule ? "*" : principal, string.Join("; ", g.Select(s => s.Reason).Distinct(StringComparer.Ordinal)), time)
            {
                Route = route,
                RequestId = requestId,
                Score = g.Max(s => s.Score),
            })];
    }

    /// <summary>Rules whose signals are alarms: PRADA extraction, input drift, health (injection campaign, refusal, error, latency).</summary>
    public static ImmutableHashSet<string> AlarmRules { get; } = ImmutableHashSet.Create(StringComparer.Ordinal, "RAMP-GUARD-101", DriftRule, "RAMP-GUARD-109");

    private const string DriftRule = "RAMP-GUARD-108";
}

/// <summary>Where alarms go: the gateway's audit log, the provenance ledger, a test's list.</summary>
public interface IGuardAlarmSink
{
    ValueTask RaiseAsync(GuardAlarm alarm, CancellationToken cancellationToken);
}
