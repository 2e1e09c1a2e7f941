using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>
/// Data exfiltration through a model's answer: a markdown image pointing at an outside host (a chat client fetches
/// it on render, sending whatever an injected instruction put into the URL, with no click), and links to hosts that
/// are not on the allow list. Images are redacted (the whole markdown element), links annotated unless configured
/// otherwise. Hosts match exactly or as a subdomain of an allowed host.
/// </summary>
public sealed partial class ExfiltrationCheck : ITextCheck
{
    private readonly ImmutableArray<string> _allowedHosts;
    private readonly GuardAction _imageAction;
    private readonly GuardAction _linkAction;

    public ExfiltrationCheck(IEnumerable<string>? allowedHosts = null, GuardAction imageAction = GuardAction.Redact, GuardAction linkAction = GuardAction.Annotate)
    {
        _allowedHosts = [.. (allowedHosts ?? []).Select(h => h.Trim().TrimStart('.').ToLowerInvariant()).Where(h => h.Length > 0)];
        _imageAction = imageAction;
        _linkAction = linkAction;
    }

    public string Id => "exfiltration";

    public bool AppliesTo(TextSource source) => source == TextSource.ModelOutput;

    [GeneratedRegex(@"!\[[^\]\n]{0,500}\]\(\s*<?(?<url>[a-z][a-z0-9+.-]*:[^\s)>]+)>?(?:\s+""[^""\n]*"")?\s*\)|!\[[^\]\n]{0,500}\]\[[^\]\n]*\]|<img\s[^>]*src\s*=\s*[""']?(?<url>[^""'\s>]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex Images();

    [GeneratedRegex(@"^\s*\[[^\]\n]+\]:\s*<?(?<url>\S+?)>?(?:\s|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline, 100)]
    private static partial Regex ReferenceDefinitions();

    [GeneratedRegex(@"\b(?:https?|ftp)://[^\s<>""')\]]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex Urls();

    public IReadOnlyList<TextFinding> Check(string text, TextSource source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var findings = new List<TextFinding>();
        var covered = new List<(int Start, int End)>();
        try
        {
            foreach (Match m in Images().Matches(text))
            {
                var url = m.Groups["url"];
                // A reference-style image ![x][ref] fetches whatever its definition names: judged by the definitions below.
                if (url.Success && IsAllowed(url.Value))
                {
                    continue;
                }

                covered.Add((m.Index, m.Index + m.Length));
                findings.Add(new TextFinding(_imageAction, new GuardSignal(GuardRuleIds.MarkdownImage, 1, $"the answer embeds an image from {HostOf(url.Success ? url.Value : "(reference)")}: rendering it sends data to that host"), m.Index, m.Length));
            }

            foreach (Match m in ReferenceDefinitions().Matches(text))
            {
                var url = m.Groups["url"];
                if (!IsAllowed(url.Value))
                {
                    covered.Add((url.Index, url.Index + url.Length));
                    findings.Add(new TextFinding(_imageAction, new GuardSignal(GuardRuleIds.MarkdownImage, 1, $"the answer defines a markdown reference to {HostOf(url.Value)}"), url.Index, url.Length));
                }
            }

            foreach (Match m in Urls().Matches(text))
            {
                if (covered.Any(c => m.Index >= c.Start && m.Index < c.End) || IsAllowed(m.Value))
                {
                    continue;
                }

                findings.Add(new TextFinding(_linkAction, new GuardSignal(GuardRuleIds.UnlistedLink, 0.5, $"the answer links to {HostOf(m.Value)}, which is not on the allow list"), m.Index, m.Length));
            }
        }
        catch (RegexMatchTimeoutException)
        {
            findings.Add(new TextFinding(GuardAction.Block, new GuardSignal(GuardRuleIds.MarkdownImage, 1, "the answer's markup took too long to read: refused rather than waved through")));
        }

        return findings;
    }

    private bool IsAllowed(string url)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            return false;
        }

        var host = uri.IdnHost.ToLowerInvariant();
        return _allowedHosts.Any(a => host == a || host.EndsWith("." + a, StringComparison.Ordinal));
    }

    private static string HostOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.IdnHost : "an unparseable address";
}
