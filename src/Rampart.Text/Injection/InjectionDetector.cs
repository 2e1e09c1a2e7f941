using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Rampart.Text.Normalization;

namespace Rampart.Text.Injection;

/// <summary>One rule that fired on a text: its score in [0, 1], a reason without the text itself, and the view it fired in.</summary>
public sealed record InjectionHit(InjectionRule Rule, double Score, string Reason, TextViewKind View);

/// <summary>
/// The verdict on one text: the highest score of any hit, the classifier's own score, the hits, what normalisation found,
/// and whether the text exceeded the analysis limits (then the answer is incomplete, never clean).
/// </summary>
public sealed record InjectionResult(double Score, double ClassifierScore, ImmutableArray<InjectionHit> Hits, NormalizationSignals Flags, bool Incomplete)
{
    public bool IsInjection => Hits.Any(h => h.Rule.Action == InjectionAction.Block);
}

/// <summary>
/// Prompt-injection and jailbreak detection over one text: normalise (<see cref="TextNormalizer"/>), run the rules of
/// <see cref="InjectionRules"/> and the <see cref="InjectionModel"/> over every view, and explain where each hit came
/// from. A rule or a classifier hit found only in a decoded or hidden view also raises RAMP-LLM-005; invisible
/// characters raise RAMP-LLM-006. Pure and thread-safe.
/// </summary>
public sealed class InjectionDetector
{
    public const string HiddenRuleId = "RAMP-LLM-005";
    public const string InvisibleRuleId = "RAMP-LLM-006";
    public const string IncompleteRuleId = "RAMP-LLM-008";
    public const string ClassifierRuleId = "RAMP-LLM-010";

    /// <summary>Texts with fewer words than this are not scored by the classifier.</summary>
    public const int MinWordsForClassifier = 6;

    /// <summary>Zero-width and bidi characters tolerated before RAMP-LLM-006 fires (typing accidents, copy and paste).</summary>
    public const int InvisibleTolerance = 2;

    private static readonly Lazy<InjectionDetector> LazyDefault = new(() => new(InjectionRules.Default, InjectionModel.Shipped));

    private readonly InjectionRules _rules;
    private readonly InjectionModel? _model;
    private readonly NormalizationLimits _limits;
    private readonly ImmutableArray<InjectionRule> _patternRules;

    public InjectionDetector(InjectionRules rules, InjectionModel? model, NormalizationLimits? limits = null)
    {
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _model = model;
        _limits = limits ?? NormalizationLimits.Default;
        _patternRules = [.. rules.Rules.Where(r => r.Patterns.Length > 0)];
    }

    /// <summary>The shipped rules and model.</summary>
    public static InjectionDetector Default => LazyDefault.Value;

    public InjectionRules Rules => _rules;

    public InjectionModel? Model => _model;

    public InjectionResult Analyze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = TextNormalizer.Normalize(text, _limits);
        var hits = new List<InjectionHit>();
        var incomplete = (normalized.Flags & (NormalizationSignals.Truncated | NormalizationSignals.LimitReached)) != 0;

        // Every view costs a pass of the rules and the model: cap the characters scored per text.
        var budget = 4L * _limits.MaxChars;
        var visibleRules = new HashSet<string>(StringComparer.Ordinal);
        var visibleScore = 0.0;
        var hiddenScore = 0.0;
        var hiddenKind = TextViewKind.Normalized;
        var hiddenRules = new List<(InjectionRule Rule, TextViewKind Kind)>();
        foreach (var view in normalized.Views)
        {
            if ((budget -= view.Text.Length) < 0)
            {
                incomplete = true;
                break;
            }

            var visible = view.Kind is TextViewKind.Normalized or TextViewKind.CodeFence;
            foreach (var rule in _patternRules)
            {
                if (Matches(rule, view.Text, ref incomplete))
                {
                    if (visible)
                    {
                        visibleRules.Add(rule.Id);
                    }
                    else
                    {
                        hiddenRules.Add((rule, view.Kind));
                    }
                }
            }

            if (_model is not null)
            {
                // Abstain on too little evidence: a few words are not enough for n-gram statistics (short
                // injections are the rules' job).
                var masked = MaskOpaqueTokens(view.Text);
                var score = Words(masked) >= MinWordsForClassifier ? _model.Score(masked) : 0;
                if (visible)
                {
                    visibleScore = Math.Max(visibleScore, score);
                }
                else if (score > hiddenScore)
                {
                    (hiddenScore, hiddenKind) = (score, view.Kind);
                }
            }
        }

        foreach (var id in visibleRules)
        {
            var rule = _rules[id];
            hits.Add(new InjectionHit(rule, 1, $"{rule.Title}: the text matches rule '{rule.Name}'", TextViewKind.Normalized));
        }

        foreach (var (rule, kind) in hiddenRules.Where(h => !visibleRules.Contains(h.Rule.Id)).DistinctBy(h => h.Rule.Id))
        {
            hits.Add(new InjectionHit(rule, 1, $"{rule.Title}: matches rule '{rule.Name}' in {Describe(kind)}", kind));
        }

        var threshold = _model?.Threshold ?? 1;
        if (visibleScore >= threshold)
        {
            hits.Add(new InjectionHit(_rules[ClassifierRuleId], visibleScore, $"classifier score {F(visibleScore)} >= threshold {F(threshold)}", TextViewKind.Normalized));
        }

        var hiddenHit = hits.FirstOrDefault(h => h.View != TextViewKind.Normalized);
        if (hiddenHit is not null || (hiddenScore >= threshold && visibleScore < threshold))
        {
            var kind = hiddenHit?.View ?? hiddenKind;
            var score = hiddenHit is not null ? 1 : hiddenScore;
            hits.Add(new InjectionHit(_rules[HiddenRuleId], score, $"an injection appears only in {Describe(kind)}", kind));
        }

        if ((normalized.Flags & NormalizationSignals.TagCharacters) != 0 || normalized.InvisibleCount > InvisibleTolerance)
        {
            var what = (normalized.Flags & NormalizationSignals.TagCharacters) != 0 ? "Unicode tag characters" : "zero-width or bidi control characters";
            hits.Add(new InjectionHit(_rules[InvisibleRuleId], 1, $"{normalized.InvisibleCount.ToString(CultureInfo.InvariantCulture)} invisible characters ({what})", TextViewKind.Normalized));
        }

        if (incomplete)
        {
            hits.Add(new InjectionHit(_rules[IncompleteRuleId], 1, "the text exceeds the detector's limits; only part of it was analysed", TextViewKind.Normalized));
        }

        var classifier = Math.Max(visibleScore, hiddenScore);
        var top = hits.Count == 0 ? classifier : Math.Max(classifier, hits.Max(h => h.Score));
        return new InjectionResult(top, classifier, [.. hits], normalized.Flags, incomplete);
    }

    /// <summary>
    /// Drops long tokens that mix letters and digits (keys, hashes, ids): they carry no instruction, and their random
    /// character n-grams look like the noise some injection corpora are padded with.
    /// </summary>
    internal static string MaskOpaqueTokens(string text)
    {
        System.Text.StringBuilder? sb = null;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            bool letter = false, digit = false;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '-'))
            {
                letter |= char.IsAsciiLetter(text[i]);
                digit |= char.IsAsciiDigit(text[i]);
                i++;
            }

            if (i - start >= 16 && letter && digit)
            {
                sb ??= new System.Text.StringBuilder(text.Length).Append(text, 0, start);
            }
            else
            {
                sb?.Append(text, start, i - start);
            }

            if (i < text.Length && i == start)
            {
                sb?.Append(text[i]);
                i++;
            }
        }

        return sb?.ToString() ?? text;
    }

    private static int Words(string text)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var letter = char.IsLetterOrDigit(c);
            words += letter && (!inWord || c >= '\u3040') ? 1 : 0; // CJK: every character is a word
            inWord = letter;
            if (words >= MinWordsForClassifier)
            {
                break;
            }
        }

        return words;
    }

    private static bool Matches(InjectionRule rule, string text, ref bool incomplete)
    {
        foreach (var pattern in rule.Patterns)
        {
            try
            {
                if (rule.Unless.IsEmpty ? pattern.IsMatch(text) : MatchesOutsideContext(rule, pattern, text))
                {
                    return true;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                incomplete = true;
            }
        }

        return false;
    }

    /// <summary>True when some match of <paramref name="pattern"/> is not discounted by the rule's context patterns.</summary>
    private static bool MatchesOutsideContext(InjectionRule rule, Regex pattern, string text)
    {
        foreach (var match in pattern.EnumerateMatches(text))
        {
            var start = Math.Max(0, match.Index - InjectionRule.UnlessWindow);
            var before = text[start..match.Index];
            if (!rule.Unless.Any(u => u.IsMatch(before)))
            {
                return true;
            }
        }

        return false;
    }

    private static string F(double d) => d.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Describe(TextViewKind kind) => kind switch
    {
        TextViewKind.Base64 => "base64-encoded text",
        TextViewKind.Hex => "hex-encoded text",
        TextViewKind.Rot13 => "ROT13-encoded text",
        TextViewKind.Leetspeak => "leetspeak",
        TextViewKind.TagCharacters => "invisible Unicode tag characters",
        TextViewKind.MarkdownHidden => "hidden markdown (comment, link title or image alt text)",
        TextViewKind.HtmlHidden => "hidden HTML (comment or hidden element)",
        TextViewKind.CodeFence => "a code block",
        _ => "the text",
    };
}
