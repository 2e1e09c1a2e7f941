using System.Collections.Immutable;
using System.Security.Cryptography;
using Rampart.Guard.Pipeline;

namespace Rampart.Guard.Checks;

/// <summary>
/// Canary tokens: random markers an application puts into its system prompt. A model answer that contains one has
/// leaked the system prompt (prompt extraction), so the answer is blocked (or the marker redacted). Matching is
/// ordinal and case-insensitive and ignores whitespace the model may have inserted inside the marker.
/// </summary>
public sealed class CanaryCheck : ITextCheck
{
    private readonly ImmutableArray<string> _tokens;
    private readonly GuardAction _action;

    public CanaryCheck(IEnumerable<string> tokens, GuardAction action = GuardAction.Block)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = [.. tokens.Where(t => !string.IsNullOrWhiteSpace(t))];
        if (_tokens.Any(t => t.Length < 8))
        {
            throw new ArgumentException("a canary token needs at least 8 characters, or ordinary answers would match it", nameof(tokens));
        }

        _action = action;
    }

    public string Id => "canary";

    /// <summary>A fresh token to embed in a system prompt: <c>rmp-</c> and 24 random hex digits.</summary>
    public static string NewToken() => "rmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public bool AppliesTo(TextSource source) => source == TextSource.ModelOutput;

    public IReadOnlyList<TextFinding> Check(string text, TextSource source)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<TextFinding>? findings = null;
        foreach (var token in _tokens)
        {
            var (index, length) = Find(text, token);
            if (length > 0)
            {
                (findings ??= []).Add(new TextFinding(_action, new GuardSignal(GuardRuleIds.CanaryLeak, 1, $"the answer contains canary token {token[..Math.Min(6, token.Length)]}…: the system prompt leaked"), index, length));
            }
        }

        return findings ?? (IReadOnlyList<TextFinding>)[];
    }

    /// <summary>The first occurrence of <paramref name="token"/>, allowing whitespace between its characters.</summary>
    private static (int Index, int Length) Find(string text, string token)
    {
        var direct = text.IndexOf(token, StringComparison.OrdinalIgnoreCase);
        if (direct >= 0)
        {
            return (direct, token.Length);
        }

        for (var start = text.IndexOf(token[0], StringComparison.OrdinalIgnoreCase); start >= 0 && start < text.Length; start = NextStart(text, token[0], start + 1))
        {
            int i = start, t = 0;
            while (i < text.Length && t < token.Length)
            {
                if (char.ToUpperInvariant(text[i]) == char.ToUpperInvariant(token[t]))
                {
                    t++;
                }
                else if (!char.IsWhiteSpace(text[i]) || t == 0)
                {
                    break;
                }

                i++;
            }

            if (t == token.Length)
            {
                return (start, i - start);
            }
        }

        return (-1, 0);
    }

    private static int NextStart(string text, char first, int from) =>
        from >= text.Length ? -1 : text.IndexOf(first.ToString(), from, StringComparison.OrdinalIgnoreCase);
}
