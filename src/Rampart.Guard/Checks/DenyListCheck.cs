using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>
/// Terms or patterns an operator refuses in traffic (topics, product names, known jailbreak strings). Terms match as
/// whole words, case-insensitively; patterns are .NET regular expressions run with a timeout.
/// </summary>
public sealed class DenyListCheck : ITextCheck
{
    private readonly ImmutableArray<(string Label, Regex Regex)> _entries;
    private readonly GuardAction _action;
    private readonly Func<TextSource, bool> _sources;

    public DenyListCheck(IEnumerable<string> terms, IEnumerable<string>? patterns = null, GuardAction action = GuardAction.Block, Func<TextSource, bool>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;
        _entries =
        [
            .. terms.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => (t, new Regex(@"(?<!\w)" + Regex.Escape(t.Trim()).Replace(@"\ ", @"\s+", StringComparison.Ordinal) + @"(?!\w)", options, Timeout))),
            .. (patterns ?? []).Select(p => (p, new Regex(p, options, Timeout))),
        ];
        _action = action;
        _sources = sources ?? (_ => true);
    }

    private static TimeSpan Timeout => TimeSpan.FromMilliseconds(100);

    public string Id => "deny-list";

    public bool AppliesTo(TextSource source) => _sources(source);

    public IReadOnlyList<TextFinding> Check(string text, TextSource source)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<TextFinding>? findings = null;
        foreach (var (label, regex) in _entries)
        {
            Match match;
            try
            {
                match = regex.Match(text);
            }
            catch (RegexMatchTimeoutException)
            {
                (findings ??= []).Add(new TextFinding(GuardAction.Block, new GuardSignal(GuardRuleIds.DenyList, 1, $"deny-list pattern '{label}' timed out on {SensitiveTextCheck.Describe(source)}: refused rather than waved through")));
                continue;
            }

            if (match.Success)
            {
                (findings ??= []).Add(new TextFinding(_action, new GuardSignal(GuardRuleIds.DenyList, 1, $"deny-listed '{label}' in {SensitiveTextCheck.Describe(source)}"), match.Index, match.Length));
            }
        }

        return findings ?? (IReadOnlyList<TextFinding>)[];
    }
}
