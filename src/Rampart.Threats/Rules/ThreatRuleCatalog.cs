using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rampart.Threats.Atlas;
using Rampart.Threats.Model;

namespace Rampart.Threats.Rules;

/// <summary>An OWASP Top 10 entry: id and short title (facts only; the lists are in rules/threats/owasp.json).</summary>
public sealed record OwaspEntry(string Id, string Title, string List, string Edition, Uri Url)
{
    public string Label => $"{Id}:{Edition} {Title}";
}

/// <summary>
/// The applicability rules (rules/threats/applicability.json), the OWASP ML and LLM Top 10 ids (owasp.json) and the
/// map from ATLAS mitigations to the evidence checks that show them (mitigations.json), loaded and cross-checked
/// against the ATLAS data: a rule naming a technique ATLAS lacks, or a mitigation ATLAS does not list against any of
/// the rule's techniques, is an error at load time.
/// </summary>
public sealed partial class ThreatRuleCatalog
{
    private static readonly Lazy<ThreatRuleCatalog> Shipped = new(() => Load(AtlasCatalog.Default, Resource));

    private readonly FrozenDictionary<string, ThreatRule> _rules;
    private readonly FrozenDictionary<string, OwaspEntry> _owasp;

    private ThreatRuleCatalog(ImmutableArray<ThreatRule> rules, FrozenDictionary<string, OwaspEntry> owasp, ImmutableDictionary<string, ImmutableArray<string>> evidence, AtlasCatalog atlas)
    {
        Rules = rules;
        _rules = rules.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
        _owasp = owasp;
        MitigationChecks = evidence;
        Atlas = atlas;
    }

    public static ThreatRuleCatalog Default => Shipped.Value;

    public ImmutableArray<ThreatRule> Rules { get; }

    public AtlasCatalog Atlas { get; }

    /// <summary>ATLAS mitigation id to the evidence check ids (<see cref="Evidence.EvidenceChecks"/>) that show it is in place.</summary>
    public ImmutableDictionary<string, ImmutableArray<string>> MitigationChecks { get; }

    public ThreatRule this[string id] => _rules[id];

    public OwaspEntry? Owasp(string id) => _owasp.GetValueOrDefault(id);

    [GeneratedRegex("^RAMP-THR-[0-9]{3}$")]
    private static partial Regex RuleId();

    private static Stream Resource(string name) =>
        typeof(ThreatRuleCatalog).Assembly.GetManifestResourceStream($"threats/{name}")
        ?? throw new InvalidOperationException($"rules/threats/{name} is not embedded");

    /// <summary>Loads the three files through <paramref name="open"/> (by file name) and checks them against <paramref name="atlas"/>.</summary>
    public static ThreatRuleCatalog Load(AtlasCatalog atlas, Func<string, Stream> open)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(open);
        var owasp = ReadOwasp(open);
        var evidence = ReadEvidenceMap(open, atlas);
        using var stream = open("applicability.json");
        using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var rules = ImmutableArray.CreateBuilder<ThreatRule>();
        foreach (var r in doc.RootElement.GetProperty("rules").EnumerateArray())
        {
            rules.Add(ReadRule(r, atlas, owasp, evidence));
        }

        foreach (var group in rules.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new InvalidDataException($"rules/threats/applicability.json: rule id {group.Key} is used twice");
        }

        return new ThreatRuleCatalog(rules.ToImmutable(), owasp, evidence, atlas);
    }

    private static FrozenDictionary<string, OwaspEntry> ReadOwasp(Func<string, Stream> open)
    {
        using var stream = open("owasp.json");
        using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var entries = new Dictionary<string, OwaspEntry>(StringComparer.Ordinal);
        foreach (var list in doc.RootElement.GetProperty("lists").EnumerateArray())
        {
            var name = list.GetProperty("name").GetString()!;
            var edition = list.GetProperty("edition").GetString()!;
            foreach (var e in list.GetProperty("entries").EnumerateArray())
            {
                var id = e.GetProperty("id").GetString()!;
                entries.Add(id, new OwaspEntry(id, e.GetProperty("title").GetString()!, name, edition, new Uri(e.GetProperty("url").GetString()!)));
            }
        }

        return entries.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static ImmutableDictionary<string, ImmutableArray<string>> ReadEvidenceMap(Func<string, Stream> open, AtlasCatalog atlas)
    {
        using var stream = open("mitigations.json");
        using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var map = ImmutableDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.GetProperty("mitigations").EnumerateObject())
        {
            if (atlas.Mitigation(p.Name) is null)
            {
                throw new InvalidDataException($"rules/threats/mitigations.json: {p.Name} is not an ATLAS {atlas.Version} mitigation");
            }

            var checks = p.Value.GetProperty("checks").EnumerateArray().Select(c => c.GetString()!).ToImmutableArray();
            foreach (var c in checks.Where(c => !Evidence.EvidenceChecks.All.Contains(c)))
            {
                throw new InvalidDataException($"rules/threats/mitigations.json: {p.Name} names evidence check '{c}', which Rampart does not have (known: {string.Join(", ", Evidence.EvidenceChecks.All)})");
            }

            map.Add(p.Name, checks);
        }

        return map.ToImmutable();
    }

    private static ThreatRule ReadRule(JsonElement r, AtlasCatalog atlas, FrozenDictionary<string, OwaspEntry> owasp, ImmutableDictionary<string, ImmutableArray<string>> evidence)
    {
        var id = r.TryGetProperty("id", out var idElement) ? idElement.GetString() ?? "" : "";
        var where = $"rules/threats/applicability.json: {(id.Length > 0 ? id : "a rule")}";
        if (!RuleId().IsMatch(id))
        {
            throw new InvalidDataException($"{where}: the id is not of the form RAMP-THR-NNN");
        }

        string Text(string name) => r.TryGetProperty(name, out var v) && v.GetString() is { } s && !string.IsNullOrWhiteSpace(s)
            ? s
            : throw new InvalidDataException($"{where}: lacks the text property '{name}'");
        ImmutableArray<string> List(string name) => r.TryGetProperty(name, out var v) ? [.. v.EnumerateArray().Select(x => x.GetString()!)] : [];
        int Score(string name) => r.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) && n is >= 1 and <= 5
            ? n
            : throw new InvalidDataException($"{where}: '{name}' is a whole number from 1 to 5");

        var target = Text("target") switch
        {
            "component" => RuleTarget.Component,
            "flow" => RuleTarget.Flow,
            var t => throw new InvalidDataException($"{where}: target '{t}' is neither 'component' nor 'flow'"),
        };
        var when = ReadCondition(r.GetProperty("when"), where, target);
        var techniques = List("atlas");
        if (techniques.IsEmpty)
        {
            throw new InvalidDataException($"{where}: names no ATLAS technique");
        }

        foreach (var t in techniques.Where(t => atlas.Technique(t) is null))
        {
            throw new InvalidDataException($"{where}: {t} is not an ATLAS {atlas.Version} technique");
        }

        var owaspIds = List("owasp");
        foreach (var o in owaspIds.Where(o => !owasp.ContainsKey(o)))
        {
            throw new InvalidDataException($"{where}: {o} is not an OWASP ML or LLM Top 10 id in rules/threats/owasp.json");
        }

        var mitigations = List("mitigations");
        if (mitigations.IsEmpty)
        {
            throw new InvalidDataException($"{where}: names no key mitigation");
        }

        foreach (var m in mitigations)
        {
            if (atlas.Mitigation(m) is null)
            {
                throw new InvalidDataException($"{where}: {m} is not an ATLAS {atlas.Version} mitigation");
            }

            if (!techniques.Any(t => atlas.MitigationsFor(t).Any(x => x.Id == m)))
            {
                throw new InvalidDataException($"{where}: ATLAS does not list {m} against any of {string.Join(", ", techniques)}");
            }

            if (!evidence.ContainsKey(m))
            {
                throw new InvalidDataException($"{where}: {m} has no entry in rules/threats/mitigations.json (its evidence checks, or an empty list when only an attestation can show it)");
            }
        }

        var tests = r.GetProperty("selfTests");
        ImmutableArray<JsonElement> Samples(string name) => tests.TryGetProperty(name, out var v) ? [.. v.EnumerateArray().Select(x => x.Clone())] : [];
        var mustMatch = Samples("mustMatch");
        if (mustMatch.IsEmpty)
        {
            throw new InvalidDataException($"{where}: has no mustMatch self-test");
        }

        return new ThreatRule(id, Text("title"), Text("summary"), Text("fix"), target, when, techniques, owaspIds, mitigations,
            Score("likelihood"), Score("impact"), mustMatch, Samples("mustNotMatch"));
    }

    private static RuleCondition ReadCondition(JsonElement when, string where, RuleTarget target)
    {
        string[] componentKeys = ["kind", "modelType", "exposure", "dataClasses", "tools", "retrieval"];
        string[] flowKeys = ["fromKind", "toKind", "exposure", "dataClasses", "crossesBoundary"];
        var known = target == RuleTarget.Component ? componentKeys : flowKeys;
        foreach (var p in when.EnumerateObject().Where(p => !known.Contains(p.Name, StringComparer.Ordinal)))
        {
            throw new InvalidDataException($"{where}: unknown condition '{p.Name}' for a {target.ToString().ToLowerInvariant()} rule (known: {string.Join(", ", known)})");
        }

        ImmutableArray<T> Enums<T>(string name)
            where T : struct, Enum
        {
            if (!when.TryGetProperty(name, out var v))
            {
                return [];
            }

            return [.. v.EnumerateArray().Select(x => Wire.TryParse<T>(x.GetString() ?? "", out var e)
                ? e
                : throw new InvalidDataException($"{where}: condition '{name}' has unknown value '{x.GetString()}' (known: {Wire.Known<T>()})"))];
        }

        bool? Flag(string name) => when.TryGetProperty(name, out var v) ? v.GetBoolean() : null;
        return new RuleCondition
        {
            Kind = Enums<ComponentKind>("kind"),
            ModelType = Enums<ModelType>("modelType"),
            Exposure = Enums<Exposure>("exposure"),
            DataClasses = Enums<DataClass>("dataClasses"),
            Tools = Flag("tools"),
            Retrieval = Flag("retrieval"),
            FromKind = Enums<ComponentKind>("fromKind"),
            ToKind = Enums<ComponentKind>("toKind"),
            CrossesBoundary = Flag("crossesBoundary"),
        };
    }
}
