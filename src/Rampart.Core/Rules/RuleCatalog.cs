using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;

namespace Rampart.Core.Rules;

/// <summary>
/// Every rule Rampart knows, loaded from JSON embedded in the assemblies that raise them. Rule ids are unique
/// across the catalog; a duplicate or malformed rule file is a build-time bug and throws.
/// </summary>
public sealed class RuleCatalog
{
    private readonly FrozenDictionary<string, RuleDefinition> _byId;
    private readonly ImmutableArray<(RuleDefinition Rule, NamePattern[] Patterns)> _nameRules;

    public RuleCatalog(IEnumerable<RuleDefinition> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var all = rules.ToImmutableArray();
        var byId = new Dictionary<string, RuleDefinition>(StringComparer.Ordinal);
        foreach (var rule in all)
        {
            if (!byId.TryAdd(rule.Id, rule))
            {
                throw new InvalidOperationException($"Rule id {rule.Id} is defined twice ({byId[rule.Id].Source} and {rule.Source}).");
            }
        }

        _byId = byId.ToFrozenDictionary(StringComparer.Ordinal);
        Rules = [.. all.OrderBy(r => r.Id, StringComparer.Ordinal)];
        _nameRules = [.. Rules.Where(r => r.Match.IsNameRule).Select(r => (r, r.Match.Names.Select(p => new NamePattern(p)).ToArray()))];
    }

    public ImmutableArray<RuleDefinition> Rules { get; }

    public RuleDefinition this[string id] =>
        _byId.TryGetValue(id, out var rule) ? rule : throw new KeyNotFoundException($"No rule with id {id} in the catalog.");

    public bool TryGet(string id, out RuleDefinition rule) => _byId.TryGetValue(id, out rule!);

    /// <summary>Name rules whose patterns match <paramref name="name"/>, in id order.</summary>
    public IEnumerable<RuleDefinition> MatchName(string name)
    {
        foreach (var (rule, patterns) in _nameRules)
        {
            foreach (var pattern in patterns)
            {
                if (pattern.IsMatch(name))
                {
                    yield return rule;
                    break;
                }
            }
        }
    }

    /// <summary>Name rules with the given tag whose patterns match, in id order.</summary>
    public IEnumerable<RuleDefinition> MatchName(string name, string tag) =>
        MatchName(name).Where(r => r.Tags.Contains(tag, StringComparer.Ordinal));

    /// <summary>Loads every embedded resource named "rules/*.json" from the given assemblies.</summary>
    public static RuleCatalog FromAssemblies(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var rules = new List<RuleDefinition>();
        foreach (var assembly in assemblies.Distinct())
        {
            foreach (var resource in assembly.GetManifestResourceNames().Where(IsRuleResource).Order(StringComparer.Ordinal))
            {
                using var stream = assembly.GetManifestResourceStream(resource)
                    ?? throw new InvalidOperationException($"Resource {resource} vanished.");
                rules.AddRange(RuleFileParser.Parse(stream, resource));
            }
        }

        return new RuleCatalog(rules);
    }

    private static bool IsRuleResource(string name) =>
        name.StartsWith("rules/", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal);
}

/// <summary>Reads one rules/*.json file. Strict: unknown severities or verdicts, missing texts and bad ids throw.</summary>
public static class RuleFileParser
{
    public static IReadOnlyList<RuleDefinition> Parse(Stream json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        return Parse(document.RootElement, source);
    }

    /// <summary>The rules of an already parsed rule file (a room that reads extra keys of its own parses once).</summary>
    public static IReadOnlyList<RuleDefinition> Parse(JsonElement root, string source)
    {
        var result = new List<RuleDefinition>();
        foreach (var element in root.GetProperty("rules").EnumerateArray())
        {
            result.Add(ParseRule(element, source));
        }

        return result;
    }

    private static RuleDefinition ParseRule(JsonElement e, string source)
    {
        var id = Required(e, "id", source);
        if (!System.Text.RegularExpressions.Regex.IsMatch(id, "^RAMP-[A-Z]+-[0-9]{3}$"))
        {
            throw new InvalidDataException($"{source}: rule id '{id}' is not of the form RAMP-AREA-NNN.");
        }

        var severityText = Required(e, "severity", source);
        if (!SeverityNames.TryParse(severityText, out var severity))
        {
            throw new InvalidDataException($"{source}: rule {id} has unknown severity '{severityText}'.");
        }

        var verdictText = Required(e, "verdict", source);
        var verdict = Enum.GetValues<Verdict>().FirstOrDefault(v => v.ToWire() == verdictText, (Verdict)(-1));
        if (verdict < 0)
        {
            throw new InvalidDataException($"{source}: rule {id} has unknown verdict '{verdictText}'.");
        }

        var match = e.GetProperty("match");
        var names = match.TryGetProperty("names", out var n) ? n.EnumerateArray().Select(x => x.GetString()!).ToImmutableArray() : [];
        var detector = match.TryGetProperty("detector", out var d) ? d.GetString() : null;
        if (names.IsDefaultOrEmpty == (detector is null))
        {
            throw new InvalidDataException($"{source}: rule {id} must have exactly one of match.names or match.detector.");
        }

        var patterns = Strings(match, "patterns");
        var unless = Strings(match, "unless");
        if (detector is null && (!patterns.IsDefaultOrEmpty || !unless.IsDefaultOrEmpty))
        {
            throw new InvalidDataException($"{source}: rule {id} has match.patterns or match.unless without a match.detector to run them.");
        }

        var tests = e.GetProperty("selfTests");
        var mustMatch = Strings(tests, "mustMatch");
        if (mustMatch.IsDefaultOrEmpty)
        {
            throw new InvalidDataException($"{source}: rule {id} has no mustMatch self-test.");
        }

        var references = e.TryGetProperty("references", out var refs)
            ? refs.EnumerateArray().Select(r => new RuleReference(
                Required(r, "id", source),
                Required(r, "title", source),
                r.TryGetProperty("url", out var u) ? new Uri(u.GetString()!, UriKind.Absolute) : null)).ToImmutableArray()
            : [];

        return new RuleDefinition(
            id,
            Required(e, "name", source),
            Required(e, "title", source),
            severity,
            verdict,
            Required(e, "summary", source),
            Required(e, "fix", source),
            references,
            Strings(e, "tags"),
            new RuleMatch(names, detector) { Patterns = patterns, Unless = unless },
            new RuleSelfTests(mustMatch, Strings(tests, "mustNotMatch")),
            source);
    }

    private static ImmutableArray<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) ? a.EnumerateArray().Select(x => x.GetString()!).ToImmutableArray() : [];

    private static string Required(JsonElement e, string name, string source)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw new InvalidDataException($"{source}: a rule lacks the text property '{name}'.");
        }

        return value.GetString()!;
    }
}
