using System.Collections.Immutable;

namespace Rampart.Guard.Audit;

/// <summary>
/// One request/response through the gateway, as the audit log keeps it: who, when, what route and model, what the
/// guard decided and why (rule ids), how long it took, token counts, SHA-256 digests of both bodies, and the bodies
/// themselves where the route's policy keeps them (after redaction). <see cref="Sequence"/>, <see cref="Previous"/>
/// and <see cref="Hash"/> are filled in by the log.
/// </summary>
public sealed record AuditEntry
{
    public long Sequence { get; init; }

    public DateTimeOffset Time { get; init; }

    public string RequestId { get; init; } = "";

    public string Principal { get; init; } = "";

    public string Route { get; init; } = "";

    public string? Model { get; init; }

    public string Operation { get; init; } = "";

    public int Status { get; init; }

    public string Decision { get; init; } = "allow";

    public ImmutableArray<string> Rules { get; init; } = [];

    public double LatencyMs { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public string? RequestDigest { get; init; }

    public string? ResponseDigest { get; init; }

    public string? RequestBody { get; init; }

    public string? ResponseBody { get; init; }

    /// <summary>For an alarm event (decision <c>alarm</c>): what the detector saw. Null (and not written) otherwise.</summary>
    public string? Evidence { get; init; }

    /// <summary>The hash of the entry before this one (all zeros for the first).</summary>
    public string Previous { get; init; } = "";

    /// <summary>SHA-256 over the entry's canonical JSON without this field.</summary>
    public string Hash { get; init; } = "";
}
