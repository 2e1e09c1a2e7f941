namespace Rampart.Server.Data;

/// <summary>
/// One gateway audit entry shipped to the server (docs/server.md, "Gateway activity"): the audit entry's own fields
/// without bodies or digests, plus <see cref="Hour"/> (Unix hours of <see cref="Time"/>) which the dashboard's queries
/// group and filter by, and <see cref="Blocked"/> (decision block or blocked). Kept for the retention period.
/// </summary>
public sealed class GatewayEvent
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    /// <summary>Unix time in hours (Time / 3600 s): indexed with the project for the dashboard's windows.</summary>
    public long Hour { get; set; }

    public DateTimeOffset Time { get; set; }

    /// <summary>The gateway's name as it sent it, or the sending token's id.</summary>
    public string Gateway { get; set; } = "";

    public string RequestId { get; set; } = "";

    public string Principal { get; set; } = "";

    public string Route { get; set; } = "";

    public string? Model { get; set; }

    public string Operation { get; set; } = "";

    public int Status { get; set; }

    /// <summary>The gateway's decision: allow, annotate, redact, block, blocked, refused, forbidden, rate_limited, unauthenticated, upstream_error, alarm.</summary>
    public string Decision { get; set; } = "";

    /// <summary>Whether the decision was a block (block or blocked).</summary>
    public bool Blocked { get; set; }

    /// <summary>Rule ids, space-separated, sorted.</summary>
    public string Rules { get; set; } = "";

    public double LatencyMs { get; set; }

    /// <summary>For alarm events: what the detector saw.</summary>
    public string? Evidence { get; set; }
}

/// <summary>A drift score of one input feature carried by a gateway event (RAMP-GUARD-108), for the drift charts.</summary>
public sealed class GatewayDrift
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public long Hour { get; set; }

    public string Route { get; set; } = "";

    public string Feature { get; set; } = "";

    /// <summary>The population stability index (capped at 1 by the gateway).</summary>
    public double Score { get; set; }
}

/// <summary>
/// A red-team report (`rampart redteam ... --format json`, docs/redteam-report.schema.json) as the server keeps it: the
/// report's facts and a summary computed when it arrived (<see cref="SummaryJson"/>: per probe family attempts,
/// failures and statuses; per attack its status and metrics; findings by severity). The report itself is not kept.
/// </summary>
public sealed class RedTeamRun
{
    public long Id { get; set; }

    public long ProjectId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>llm or model.</summary>
    public string Kind { get; set; } = "";

    public string ToolVersion { get; set; } = "";

    /// <summary>The harness's exit code: 0 passed, 1 a finding at or above failOn, 2 inconclusive.</summary>
    public int ExitCode { get; set; }

    /// <summary>The runs' targets, newline-separated.</summary>
    public string Targets { get; set; } = "";

    public string SentBy { get; set; } = "";

    public int Passed { get; set; }

    public int Failed { get; set; }

    public int Inconclusive { get; set; }

    public int Findings { get; set; }

    public string SummaryJson { get; set; } = "{}";
}

/// <summary>
/// A version's gate findings counted by severity (and those from the dependency audit), so the scorecard sums numbers
/// instead of parsing every version's findings JSON per request. Filled by the scorecard for versions whose gate has
/// finished and that have no row yet (existing databases are backfilled on the first view); findings do not change
/// once the gate has finished.
/// </summary>
public sealed class VersionFindingCounts
{
    public long VersionId { get; set; }

    public long ProjectId { get; set; }

    public int Critical { get; set; }

    public int High { get; set; }

    public int Medium { get; set; }

    public int Low { get; set; }

    public int Info { get; set; }

    public int Audit { get; set; }
}
