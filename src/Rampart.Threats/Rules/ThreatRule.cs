using System.Collections.Immutable;
using System.Text.Json;
using Rampart.Threats.Model;

namespace Rampart.Threats.Rules;

/// <summary>What a rule looks at: one component, or one data flow.</summary>
public enum RuleTarget
{
    Component,
    Flow,
}

/// <summary>
/// When a rule applies. Every condition given must hold; a list condition holds when the subject has one of its
/// values (for data classes and model types: when the sets share a value).
/// </summary>
public sealed record RuleCondition
{
    public ImmutableArray<ComponentKind> Kind { get; init; } = [];

    public ImmutableArray<ModelType> ModelType { get; init; } = [];

    public ImmutableArray<Exposure> Exposure { get; init; } = [];

    public ImmutableArray<DataClass> DataClasses { get; init; } = [];

    public bool? Tools { get; init; }

    public bool? Retrieval { get; init; }

    public ImmutableArray<ComponentKind> FromKind { get; init; } = [];

    public ImmutableArray<ComponentKind> ToKind { get; init; } = [];

    public bool? CrossesBoundary { get; init; }
}

/// <summary>
/// An applicability rule (rules/threats/applicability.json): when it applies, which ATLAS techniques and OWASP Top 10
/// entries it stands for, and the ATLAS mitigations whose evidence decides the threat's status.
/// </summary>
public sealed record ThreatRule(
    string Id,
    string Title,
    string Summary,
    string Fix,
    RuleTarget Target,
    RuleCondition When,
    ImmutableArray<string> Atlas,
    ImmutableArray<string> Owasp,
    ImmutableArray<string> Mitigations,
    int Likelihood,
    int Impact,
    ImmutableArray<JsonElement> MustMatch,
    ImmutableArray<JsonElement> MustNotMatch)
{
    public string DocPath => $"docs/rules/{Id}.md";
}
