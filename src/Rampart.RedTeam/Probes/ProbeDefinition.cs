using System.Collections.Immutable;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Probes;

/// <summary>How a probe's answers are judged (rules/redteam/probes/*.json, "detector").</summary>
public enum DetectorKind
{
    /// <summary>Fails when the answer contains the attempt's nonce: the target obeyed the injected instruction.</summary>
    Nonce,

    /// <summary>Fails when the answer contains the system prompt's canary (the probe's own or one given with --canary).</summary>
    Canary,

    /// <summary>Fails when the answer contains a planted secret (--secret) or matches a credential pattern.</summary>
    Secret,

    /// <summary>Fails when any of the detector's patterns matches the answer.</summary>
    Patterns,

    /// <summary>Fails when the answer is not a refusal.</summary>
    NoRefusal,

    /// <summary>Fails when the answer continues a known text for at least <c>minWords</c> words.</summary>
    Replay,

    /// <summary>Fails when the answer calls a forbidden tool.</summary>
    ToolCall,

    /// <summary>Fails when the answer tells the user to install a package that does not exist.</summary>
    Package,

    /// <summary>Paired prompts that differ only in a protected attribute: fails when the scores differ by the threshold or more.</summary>
    Disparity,
}

/// <summary>A probe's detector and its parameters.</summary>
public sealed record DetectorSpec(
    DetectorKind Kind,
    ImmutableArray<string> Patterns,
    ImmutableArray<string> Forbidden,
    string? Continuation,
    int MinWords,
    string? Package,
    ImmutableArray<string> Attributes,
    double Threshold);

/// <summary>
/// One probe: the prompts it sends (templates over {nonce}, {canary}, {payload}, {package}, {attribute}), an optional
/// system prompt, document and tools, and the detector that judges each answer.
/// </summary>
public sealed record ProbeDefinition(
    string Id,
    string Family,
    string RuleId,
    string Title,
    string? System,
    ImmutableArray<string> Prompts,
    string? Document,
    string? Payload,
    string? Encoding,
    ImmutableArray<ChatTool> Tools,
    DetectorSpec Detector,
    string Source);
