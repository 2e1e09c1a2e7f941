using System.Collections.Immutable;

namespace Rampart.Core.Rules;

/// <summary>A reference that explains the attack a rule detects (MITRE ATLAS, OWASP ML Top 10, a CVE, a paper).</summary>
public sealed record RuleReference(string Id, string Title, Uri? Url);

/// <summary>
/// What a rule looks at. Exactly one of the two is set: <see cref="Names"/> for rules that classify resolved
/// names (e.g. a pickle global "os.system"), matched as glob patterns where '*' spans any characters;
/// <see cref="Detector"/> for rules raised by an analyzer's or a runtime check's own code (e.g. "zip.name-mismatch",
/// "guard.secrets", "llm.instruction-override"). A detector rule may carry <see cref="Patterns"/> (and
/// <see cref="Unless"/> context patterns) that the detector's room compiles and runs itself, e.g. the prompt-injection
/// rules' regular expressions; the catalog only stores them.
/// </summary>
public sealed record RuleMatch(ImmutableArray<string> Names, string? Detector)
{
    public bool IsNameRule => !Names.IsDefaultOrEmpty;

    /// <summary>Text patterns the detector runs for this rule (its room decides the dialect); empty for most rules.</summary>
    public ImmutableArray<string> Patterns { get; init; } = [];

    /// <summary>Context patterns that discount a match of <see cref="Patterns"/> (read by the detector's room).</summary>
    public ImmutableArray<string> Unless { get; init; } = [];

    /// <summary>True when the rule's own data (names or text patterns) raises it, rather than code naming its id.</summary>
    public bool RaisesItself => IsNameRule || !Patterns.IsDefaultOrEmpty;
}

/// <summary>
/// Inputs a rule must and must not fire on. For name rules these are names; for detector rules they are ids of
/// fixtures that the test kit knows how to build.
/// </summary>
public sealed record RuleSelfTests(ImmutableArray<string> MustMatch, ImmutableArray<string> MustNotMatch);

/// <summary>One detection rule, loaded from the JSON files under rules/.</summary>
public sealed record RuleDefinition(
    string Id,
    string Name,
    string Title,
    Severity Severity,
    Verdict Verdict,
    string Summary,
    string Fix,
    ImmutableArray<RuleReference> References,
    ImmutableArray<string> Tags,
    RuleMatch Match,
    RuleSelfTests SelfTests,
    string Source)
{
    /// <summary>The repository-relative path of the rule's documentation page.</summary>
    public string DocPath => $"docs/rules/{Id}.md";
}
