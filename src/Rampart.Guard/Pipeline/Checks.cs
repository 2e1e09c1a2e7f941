using System.Collections.Immutable;
using Rampart.Text.Detection;

namespace Rampart.Guard.Pipeline;

/// <summary>A check on a request before it goes upstream.</summary>
public interface IInputCheck
{
    /// <summary>A stable id (used in configuration, the audit log and metrics).</summary>
    string Id { get; }

    ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken);
}

/// <summary>A check on a whole response before it goes back to the caller.</summary>
public interface IOutputCheck
{
    string Id { get; }

    ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardResponse response, GuardContext context, CancellationToken cancellationToken);
}

/// <summary>
/// What a text check found in one text: an action, its signal, and for a redaction the span to replace
/// (<see cref="Length"/> 0 means the finding is about the text as a whole and has no span).
/// </summary>
public sealed record TextFinding(GuardAction Action, GuardSignal Signal, int Index = 0, int Length = 0);

/// <summary>
/// A check over one piece of text (secrets, personal data, prompt injection, canary tokens, deny lists, exfiltration
/// URLs). Synchronous and allocation-light: it runs on every message of every request, and over the sliding window of
/// a streamed response. <see cref="TextCheckAdapter"/> applies it to every text of a payload.
/// </summary>
public interface ITextCheck
{
    string Id { get; }

    /// <summary>The sources this check applies to (e.g. injection checks skip model output; leak checks look only at it).</summary>
    bool AppliesTo(TextSource source);

    IReadOnlyList<TextFinding> Check(string text, TextSource source);
}

/// <summary>Per-request services for checks: the host's clock. Checks with state over time get their stores through their constructors.</summary>
public sealed class GuardContext(TimeProvider time)
{
    public TimeProvider Time { get; } = time ?? throw new ArgumentNullException(nameof(time));

    public static GuardContext System { get; } = new(TimeProvider.System);
}

/// <summary>Runs an <see cref="ITextCheck"/> over every text of a payload: spans to redact are replaced, the strictest action wins.</summary>
public sealed class TextCheckAdapter(ITextCheck check) : IInputCheck, IOutputCheck
{
    private readonly ITextCheck _check = check ?? throw new ArgumentNullException(nameof(check));

    public string Id => _check.Id;

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(Apply(request.Payload, cancellationToken));
    }

    public ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardResponse response, GuardContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        return ValueTask.FromResult(Apply(response.Payload, cancellationToken));
    }

    /// <summary>The decision for one payload.</summary>
    public GuardDecision Apply(GuardPayload payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var action = GuardAction.Allow;
        var signals = ImmutableArray.CreateBuilder<GuardSignal>();
        Dictionary<int, string>? replacements = null;
        foreach (var text in payload.Texts())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_check.AppliesTo(text.Source))
            {
                continue;
            }

            var findings = _check.Check(text.Text, text.Source);
            if (findings.Count == 0)
            {
                continue;
            }

            foreach (var finding in findings)
            {
                action = (GuardAction)Math.Max((int)action, (int)finding.Action);
                signals.Add(finding.Signal with { CheckId = _check.Id });
            }

            var spans = findings.Where(f => f.Action == GuardAction.Redact && f.Length > 0).ToList();
            if (spans.Count > 0)
            {
                (replacements ??= [])[text.Index] = TextRedaction.Apply(text.Text, spans.Select(f => (f.Index, f.Length, f.Signal.RuleId)));
            }
        }

        return action switch
        {
            GuardAction.Allow => GuardDecision.Allow,
            GuardAction.Redact when replacements is not null => new GuardDecision(action, signals.ToImmutable(), payload.WithTexts(replacements)),
            GuardAction.Redact => new GuardDecision(GuardAction.Annotate, signals.ToImmutable()),
            _ => new GuardDecision(action, signals.ToImmutable()),
        };
    }
}
