using System.Collections.Immutable;

namespace Rampart.Core;

/// <summary>Where inside an artifact a finding was made. Every part is optional.</summary>
/// <param name="Offset">Byte offset inside the artifact named by the finding's path.</param>
/// <param name="Line">1-based line, for text formats.</param>
/// <param name="Column">1-based column, for text formats.</param>
/// <param name="Detail">A short human locator, e.g. "opcode REDUCE #42" or "member data.pkl".</param>
public sealed record FindingLocation(long? Offset = null, int? Line = null, int? Column = null, string? Detail = null)
{
    public static FindingLocation None { get; } = new();

    public static FindingLocation AtOffset(long offset, string? detail = null) => new(offset, Detail: detail);
}

/// <summary>One thing a rule found in one artifact.</summary>
/// <param name="RuleId">The rule catalog id, e.g. RAMP-PKL-101.</param>
/// <param name="Severity">How bad it is.</param>
/// <param name="Verdict">What this finding says about the artifact.</param>
/// <param name="Message">A specific, one-sentence statement of what was found.</param>
/// <param name="ArtifactPath">Logical path: a file, or a file followed by "!/member" and "#part" segments.</param>
/// <param name="Location">Where inside the artifact.</param>
/// <param name="Properties">Machine-readable facts, e.g. the resolved global name.</param>
public sealed record Finding(
    string RuleId,
    Severity Severity,
    Verdict Verdict,
    string Message,
    string ArtifactPath,
    FindingLocation Location,
    ImmutableSortedDictionary<string, string>? Properties = null)
{
    public string? Property(string name) => Properties is not null && Properties.TryGetValue(name, out var v) ? v : null;
}
