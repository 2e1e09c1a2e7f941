using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Rampart.Text.PersonalData;
using Rampart.Text.Secrets;

namespace Rampart.Text.Detection;

/// <summary>
/// Finds secrets and personal data in text, line by line, and redacts what it finds. Pure functions over strings: the
/// code reviewer, the runtime guard and the dataset scanner all call these, with the patterns of
/// <see cref="TextPatterns"/>.
/// </summary>
public static class TextDetectors
{
    private static readonly Regex Placeholder = new(
        @"^(x+|\*+|\.+|<[^>]*>|\[[^\]]*\]|\{\{?[^}]*\}?\}|\$\{?[A-Za-z_]+\}?|%\(?[A-Za-z_]*\)?s?|(sk|pk|hf|key|api|token)[-_]?(x+|\*+|\.+|\.\.\.|<[^>]*>)[A-Za-z0-9]{0,4}|"
        + @"(empty|none|null|nil|na|n/a|fake|test|testing|secret|password|token|api[-_ ]?key|key|changeme|change[-_ ]?me|todo|tbd|notused|not[-_ ]?used|not[-_ ]?needed|unused|no[-_ ]?key|sk-no-key-required|anything|abc|abc123|123|1234|12345|123456|dummy|foo|bar|demo)|"
        + @"(your|my|insert|enter|put|add|replace)[-_ ].*|.*(example|placeholder|changeme|dummy|redacted|xxxx|0000000000|1234567890abcdef|your[-_ ]?(api[-_ ]?)?key|_here\b|-here\b).*)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, PatternJson.MatchTimeout);

    /// <summary>An e-mail address (an author's, a maintainer's): personal data perhaps, never a credential.</summary>
    private static readonly Regex EmailAddress = new(@"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$", RegexOptions.CultureInvariant, PatternJson.MatchTimeout);

    /// <summary>
    /// Whether a credential-shaped value is an obvious placeholder rather than a secret: "EMPTY", "none", "sk-xxxx…",
    /// "your-api-key", "&lt;token&gt;", "${OPENAI_API_KEY}", "changeme", repeated x or *.
    /// </summary>
    public static bool IsPlaceholder(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = value.Trim();
        return v.Length == 0 || Placeholder.IsMatch(v);
    }

    /// <summary>"hf_ab…(37 chars)": the first <paramref name="keep"/> characters (at most a third) and the length.</summary>
    public static string Redact(string secret, int keep)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var shown = Math.Min(keep, secret.Length / 3);
        return secret[..shown] + "…(" + secret.Length.ToString(CultureInfo.InvariantCulture) + " chars)";
    }

    /// <summary>Secrets in <paramref name="text"/>; <paramref name="firstLine"/> numbers its first line.</summary>
    public static IEnumerable<TextHit> FindSecrets(string text, IEnumerable<SecretPattern> patterns, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return Find(text, patterns.Select(p => SecretCandidates.GetValue(p, static p => new Candidate(TextHitKind.Secret, p.Regex, p.Rule, p.Id, p.Title, p.Keep, (line, _, value) =>
            (p.Context is null || p.Context.IsMatch(line)) && !IsPlaceholder(value) && (p.MinEntropy <= 0 || (Entropy(value) >= p.MinEntropy && !EmailAddress.IsMatch(value)))))), firstLine);
    }

    /// <summary>Personal data in <paramref name="text"/> that passes its pattern's validator.</summary>
    public static IEnumerable<TextHit> FindPii(string text, IEnumerable<PiiPattern> patterns, int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return Find(text, patterns.Select(p => PiiCandidates.GetValue(p, static p => new Candidate(TextHitKind.PersonalData, p.Regex, p.Rule, p.Id, p.Title, p.Keep, (line, index, value) =>
            PiiValidators.Validate(p.Validator, value) && !(NumericValidators.Contains(p.Validator) && PiiValidators.InNumberContext(line, index, value.Length))))), firstLine);
    }

    /// <summary>
    /// <paramref name="text"/> with each hit's value replaced by <c>[REDACTED:pattern-id]</c>. Hits must come from a
    /// search of this same text; overlapping hits are merged.
    /// </summary>
    public static string RedactAll(string text, IEnumerable<TextHit> hits)
    {
        ArgumentNullException.ThrowIfNull(hits);
        return TextRedaction.Apply(text, hits.Select(h => (h.Index, h.Length, h.PatternId)));
    }

    /// <summary>Shannon entropy in bits per character.</summary>
    public static double Entropy(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Length == 0)
        {
            return 0;
        }

        return s.GroupBy(c => c).Select(g => (double)g.Count() / s.Length).Sum(p => -p * Math.Log2(p));
    }

    /// <summary>Validators of identifiers made of digits: a match inside a larger number or a run of numbers is not one.</summary>
    private static readonly HashSet<string> NumericValidators = new(StringComparer.Ordinal) { "phone", "luhn", "payment-card", "us-ssn", "fr-insee", "de-taxid", "in-aadhaar" };

    // One candidate per pattern, made once: the gateway calls FindSecrets/FindPii on every text of every request and
    // answer, and building them per call was half of its allocations (bench/results/gateway.md, profile).
    private static readonly ConditionalWeakTable<SecretPattern, Candidate> SecretCandidates = new();
    private static readonly ConditionalWeakTable<PiiPattern, Candidate> PiiCandidates = new();

    private sealed record Candidate(TextHitKind Kind, Regex Regex, string Rule, string Id, string Title, int Keep, Func<string, int, string, bool> Accept);

    /// <summary>Every non-overlapping match of group "s" that its pattern accepts, line by line, redacted.</summary>
    private static IEnumerable<TextHit> Find(string text, IEnumerable<Candidate> patterns, int firstLine)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = patterns.ToList();
        var line = firstLine - 1;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            var next = end < 0 ? text.Length + 1 : end + 1;
            var length = (end < 0 ? text.Length : end) - start;
            if (length > 0 && text[start + length - 1] == '\r')
            {
                length--;
            }

            line++;
            var lineText = text.Substring(start, length);
            var taken = new List<(int Start, int End)>();
            foreach (var p in list)
            {
                // IsMatch first: it allocates nothing, and almost every line matches almost no pattern (Matches
                // allocates a collection per pattern per line: the other half of the gateway's allocations).
                if (!p.Regex.IsMatch(lineText))
                {
                    continue;
                }

                foreach (Match m in p.Regex.Matches(lineText))
                {
                    var g = m.Groups["s"];
                    if (taken.Any(t => g.Index < t.End && t.Start < g.Index + g.Length) || !p.Accept(lineText, g.Index, g.Value))
                    {
                        continue;
                    }

                    taken.Add((g.Index, g.Index + g.Length));
                    yield return new TextHit(p.Kind, p.Rule, p.Id, p.Title, Redact(g.Value, p.Keep), start + g.Index, g.Length, line, g.Index + 1);
                }
            }

            start = next;
        }
    }
}
