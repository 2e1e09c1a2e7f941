using System.Collections.Immutable;

namespace Rampart.Guard.Pipeline;

/// <summary>What a check wants done with a request or response. Ordered: when checks disagree, the strictest wins.</summary>
public enum GuardAction
{
    /// <summary>Nothing to say.</summary>
    Allow = 0,

    /// <summary>Let it through, but record the signals (audit log, metrics, response header).</summary>
    Annotate = 1,

    /// <summary>Let it through with the offending parts replaced (<see cref="GuardDecision.Rewritten"/>).</summary>
    Redact = 2,

    /// <summary>Refuse it.</summary>
    Block = 3,
}

/// <summary>Enforce changes traffic; Monitor runs every check and records what it would have done, changing nothing.</summary>
public enum GuardMode
{
    Enforce,
    Monitor,
}

/// <summary>
/// One piece of evidence: the rule that fired (a rule id of the catalog, e.g. RAMP-GUARD-001 or RAMP-LLM-001, so it
/// explains itself like a scan finding), a score in [0, 1] where that means something (1 for a certain match), and a
/// reason a person can read. Reasons never contain the sensitive value itself, only a redacted form.
/// </summary>
public sealed record GuardSignal(string RuleId, double Score, string Reason)
{
    /// <summary>The check that raised the signal; filled in by the pipeline.</summary>
    public string CheckId { get; init; } = "";
}

/// <summary>A check's answer: the action, its evidence, and for <see cref="GuardAction.Redact"/> the rewritten payload.</summary>
public sealed record GuardDecision(GuardAction Action, ImmutableArray<GuardSignal> Signals, GuardPayload? Rewritten = null)
{
    /// <summary>No signal, no change.</summary>
    public static GuardDecision Allow { get; } = new(GuardAction.Allow, []);

    public static GuardDecision Annotate(params GuardSignal[] signals) => new(GuardAction.Annotate, [.. signals]);

    public static GuardDecision Block(params GuardSignal[] signals) => new(GuardAction.Block, [.. signals]);

    public static GuardDecision Redact(GuardPayload rewritten, params GuardSignal[] signals) => new(GuardAction.Redact, [.. signals], rewritten);
}
