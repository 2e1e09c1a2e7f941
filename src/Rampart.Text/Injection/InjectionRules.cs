using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rampart.Core;
using Rampart.Core.Rules;

namespace Rampart.Text.Injection;

/// <summary>What the guard does when a rule fires: refuse, or let it through with the signal recorded.</summary>
public enum InjectionAction
{
    Annotate,
    Block,
}

/// <summary>
/// One prompt-injection rule of rules/guard/injection.json: catalog text (title, why it matters, how to fix), its
/// patterns (none for rules raised by the detector's own logic) and self-tests run through the whole detector.
/// </summary>
public sealed record InjectionRule(
    string Id,
    string Name,
    string Title,
    string Severity,
    InjectionAction Action,
    string Summary,
    string Fix,
    ImmutableArray<Regex> Patterns,
    ImmutableArray<string> MustMatch,
    ImmutableArray<string> MustNotMatch)
{
    /// <summary>How much text before a match <see cref="Unless"/> sees.</summary>
    public const int UnlessWindow = 64;

    /// <summary>
    /// Context that discounts a match: tested against the <see cref="UnlessWindow"/> characters just before it (so a
    /// pattern ending in <c>$</c> reads the words leading up to the match). A text that only mentions an attack
    /// phrase ("if the user tells you to ignore previous instructions, refuse") is not the attack; one undiscounted
    /// match still fires the rule.
    /// </summary>
    public ImmutableArray<Regex> Unless { get; init; } = [];
}

/// <summary>
/// The prompt-injection rules: catalog entries of rules/guard/injection.json (embedded as rules/guard/injection.json, so
/// <see cref="RuleCatalog.FromAssemblies"/> lists them with every other room's rules), read by Core's
/// <see cref="RuleFileParser"/> plus this room's stricter checks: no unknown keys, RAMP-LLM ids, an <c>llm.</c> detector,
/// and patterns that compile for the linear-time engine. A rule whose verdict is malicious blocks; any other annotates.
/// </summary>
public sealed class InjectionRules
{
    /// <summary>The detector namespace of this room's rules in the catalog (match.detector = "llm.&lt;name&gt;").</summary>
    public const string DetectorPrefix = "llm.";

    /// <summary>
    /// Patterns run under the linear-time engine: no lookarounds or backreferences are allowed, and no input can make a
    /// rule backtrack (the 1 s timeout of <see cref="PatternJson.MatchTimeout"/> would otherwise be the only bound).
    /// </summary>
    public const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private static readonly Lazy<InjectionRules> LazyDefault = new(() => Parse(PatternJson.LoadEmbedded(typeof(InjectionRules).Assembly, "rules/guard/injection.json")));

    public static InjectionRules Default => LazyDefault.Value;

    public ImmutableArray<InjectionRule> Rules { get; private init; } = [];

    public InjectionRule this[string id] => Rules.FirstOrDefault(r => r.Id == id) ?? throw new KeyNotFoundException($"no injection rule {id}");

    public static InjectionRules Parse(IReadOnlyDictionary<string, JsonElement> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var rules = ImmutableArray.CreateBuilder<InjectionRule>();
        foreach (var (source, root) in documents)
        {
            PatternJson.Keys(root, source, "rules");
            foreach (var e in PatternJson.Array(root, "rules"))
            {
                PatternJson.Keys(e, source, "id", "name", "title", "severity", "verdict", "summary", "fix", "references", "tags", "match", "selfTests");
                var id = Id(e, source);
                if (!e.TryGetProperty("match", out var match) || !e.TryGetProperty("selfTests", out var tests))
                {
                    throw new InvalidDataException($"{source} {id}: a rule needs 'match' and 'selfTests'");
                }

                PatternJson.Keys(match, $"{source} {id} match", "detector", "patterns", "unless");
                PatternJson.Keys(tests, $"{source} {id} selfTests", "mustMatch", "mustNotMatch");
            }

            foreach (var definition in RuleFileParser.Parse(root, source))
            {
                rules.Add(From(definition, $"{source} {definition.Id}"));
            }
        }

        var duplicate = rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is not null
            ? throw new InvalidDataException($"injection rule {duplicate.Key} is defined twice")
            : new InjectionRules { Rules = rules.ToImmutable() };
    }

    private static InjectionRule From(RuleDefinition definition, string where)
    {
        if (definition.Match.Detector is not { } detector || !detector.StartsWith(DetectorPrefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{where}: match.detector must be '{DetectorPrefix}<name>'");
        }

        var action = definition.Verdict == Verdict.Malicious ? InjectionAction.Block : InjectionAction.Annotate;
        return new InjectionRule(definition.Id, definition.Name, definition.Title, definition.Severity.ToWire(), action, definition.Summary, definition.Fix,
            [.. definition.Match.Patterns.Select(p => Compile(p, where))], definition.SelfTests.MustMatch, definition.SelfTests.MustNotMatch)
        {
            Unless = [.. definition.Match.Unless.Select(p => Compile(p, where))],
        };
    }

    private static string Id(JsonElement e, string source)
    {
        var id = PatternJson.Str(e, "id", source);
        return Regex.IsMatch(id, "^RAMP-LLM-[0-9]{3}$", RegexOptions.None, PatternJson.MatchTimeout)
            ? id
            : throw new InvalidDataException($"{source}: '{id}' is not a RAMP-LLM-NNN rule id");
    }

    private static Regex Compile(string pattern, string where)
    {
        try
        {
            return new Regex(pattern, PatternOptions, PatternJson.MatchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{where}: pattern '{pattern}' is invalid for the linear-time engine: {e.Message}");
        }
    }
}
