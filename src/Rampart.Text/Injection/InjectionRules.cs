using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;

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

/// <summary>The prompt-injection rules, read strictly from rules/guard/injection.json (embedded as guard/injection.json).</summary>
public sealed class InjectionRules
{
    /// <summary>
    /// Patterns run under the linear-time engine: no lookarounds or backreferences are allowed, and no input can make a
    /// rule backtrack (the 1 s timeout of <see cref="PatternJson.MatchTimeout"/> would otherwise be the only bound).
    /// </summary>
    public const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private static readonly Lazy<InjectionRules> LazyDefault = new(() => Parse(PatternJson.LoadEmbedded(typeof(InjectionRules).Assembly, "guard/injection.json")));

    private static readonly string[] Severities = ["low", "medium", "high", "critical"];

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
                PatternJson.Keys(e, source, "id", "name", "title", "severity", "action", "summary", "fix", "patterns", "unless", "mustMatch", "mustNotMatch");
                var id = Id(e, source);
                var where = $"{source} {id}";
                var severity = PatternJson.Str(e, "severity", where);
                if (!Severities.Contains(severity, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"{where}: unknown severity '{severity}'");
                }

                var action = PatternJson.Str(e, "action", where) switch
                {
                    "block" => InjectionAction.Block,
                    "annotate" => InjectionAction.Annotate,
                    var other => throw new InvalidDataException($"{where}: unknown action '{other}' (block or annotate)"),
                };
                var patterns = PatternJson.Strings(e, "patterns").Select(p => Compile(p, where)).ToImmutableArray();
                var mustMatch = PatternJson.Strings(e, "mustMatch");
                if (mustMatch.IsDefaultOrEmpty)
                {
                    throw new InvalidDataException($"{where}: no mustMatch self-test");
                }

                var unless = PatternJson.Strings(e, "unless").Select(p => Compile(p, where)).ToImmutableArray();
                rules.Add(new InjectionRule(id, PatternJson.Str(e, "name", where), PatternJson.Str(e, "title", where), severity, action,
                    PatternJson.Str(e, "summary", where), PatternJson.Str(e, "fix", where), patterns, mustMatch, PatternJson.Strings(e, "mustNotMatch"))
                { Unless = unless });
            }
        }

        var duplicate = rules.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is not null
            ? throw new InvalidDataException($"injection rule {duplicate.Key} is defined twice")
            : new InjectionRules { Rules = rules.ToImmutable() };
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
