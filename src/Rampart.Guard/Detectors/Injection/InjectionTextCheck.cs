using Rampart.Guard.Pipeline;
using Rampart.Text.Injection;

namespace Rampart.Guard.Detectors.Injection;

/// <summary>
/// Prompt injection and jailbreaks as a text check: user input (direct injection) and tool output or retrieved
/// documents (indirect injection); conversation history is checked too, since an earlier turn can be forged by the
/// client. System prompts (the application's own) and model output are not. A rule with action block, or the
/// classifier at its threshold, blocks; annotate rules and a text over the analysis limits annotate (RAMP-LLM-008).
/// </summary>
public sealed class InjectionTextCheck(InjectionDetector detector) : ITextCheck
{
    private readonly InjectionDetector _detector = detector ?? throw new ArgumentNullException(nameof(detector));

    /// <summary>With the shipped rules and classifier.</summary>
    public InjectionTextCheck()
        : this(InjectionDetector.Default)
    {
    }

    public string Id => "prompt-injection";

    public bool AppliesTo(TextSource source) => source is TextSource.UserInput or TextSource.ToolOutput or TextSource.History;

    public IReadOnlyList<TextFinding> Check(string text, TextSource source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = _detector.Analyze(text);
        var findings = new List<TextFinding>(result.Hits.Length);
        var where = source == TextSource.ToolOutput ? " (in a tool result or retrieved document)" : "";
        foreach (var hit in result.Hits)
        {
            var action = hit.Rule.Action == InjectionAction.Block ? GuardAction.Block : GuardAction.Annotate;
            findings.Add(new TextFinding(action, new GuardSignal(hit.Rule.Id, hit.Score, hit.Reason + where)));
        }

        return findings;
    }
}
