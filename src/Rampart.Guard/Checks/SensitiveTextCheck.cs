using Rampart.Guard.Pipeline;
using Rampart.Text;
using Rampart.Text.Detection;

namespace Rampart.Guard.Checks;

/// <summary>
/// Secrets or personal data in any text of a request or response, found by <see cref="TextDetectors"/> (the same
/// detectors the code reviewer and dataset scans use). Redacts each value in place by default, or blocks.
/// The reason names the pattern, the static rule that describes it (RAMP-SECRET-NNN / RAMP-PII-NNN, as in
/// `rampart review` and dataset scans) and a redacted prefix, never the value.
/// <para>
/// One id family for runtime traffic on purpose: the signal's rule is RAMP-GUARD-001 (secret) or 002 (personal data)
/// whichever pattern matched, in the gateway and in `rampart guard check` alike, because what the finding means and
/// how to fix it differ from a secret committed to code (redact the traffic and rotate, versus remove it from the
/// source), and an operator filtering the audit log or alerting on a rule needs one id per runtime check, not twelve.
/// </para>
/// </summary>
public sealed class SensitiveTextCheck : ITextCheck
{
    private readonly TextHitKind _kind;
    private readonly GuardAction _action;
    private readonly TextPatterns _patterns;
    private readonly Func<TextSource, bool> _sources;

    public SensitiveTextCheck(TextHitKind kind, GuardAction action = GuardAction.Redact, TextPatterns? patterns = null, Func<TextSource, bool>? sources = null)
    {
        if (action is not (GuardAction.Annotate or GuardAction.Redact or GuardAction.Block))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "annotate, redact or block");
        }

        _kind = kind;
        _action = action;
        _patterns = patterns ?? TextPatterns.Default;
        _sources = sources ?? (_ => true);
    }

    public string Id => _kind == TextHitKind.Secret ? "secrets" : "pii";

    public bool AppliesTo(TextSource source) => _sources(source);

    public IReadOnlyList<TextFinding> Check(string text, TextSource source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hits = _kind == TextHitKind.Secret ? TextDetectors.FindSecrets(text, _patterns.Secrets) : TextDetectors.FindPii(text, _patterns.Pii);
        var rule = _kind == TextHitKind.Secret ? GuardRuleIds.Secret : GuardRuleIds.PersonalData;
        List<TextFinding>? findings = null;
        foreach (var hit in hits)
        {
            (findings ??= []).Add(new TextFinding(_action, new GuardSignal(rule, 1, $"{hit.Title} ({hit.Rule} {hit.PatternId}: {hit.Redacted}) in {Describe(source)}"), hit.Index, hit.Length));
        }

        return findings ?? (IReadOnlyList<TextFinding>)[];
    }

    internal static string Describe(TextSource source) => source switch
    {
        TextSource.UserInput => "user input",
        TextSource.SystemPrompt => "the system prompt",
        TextSource.History => "conversation history",
        TextSource.ToolOutput => "tool output",
        _ => "model output",
    };
}
