using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rampart.Core.Rules;
using Rampart.RedTeam.Targets;

namespace Rampart.RedTeam.Probes;

/// <summary>
/// The shipped probes (rules/redteam/probes/*.json), the shared detector data (rules/redteam/detectors.json: refusal
/// and credential patterns) and the red-team rule catalog (rules/redteam/catalog.json), all embedded. Strict: an
/// unknown detector, a probe naming a rule the catalog lacks, or a duplicate id is a build-time bug and throws.
/// </summary>
public sealed class ProbeCatalog
{
    private static readonly Lazy<ProbeCatalog> LazyShipped = new(() => Load(typeof(ProbeCatalog).Assembly));

    private ProbeCatalog(ImmutableArray<ProbeDefinition> probes, ImmutableArray<Regex> refusals, ImmutableArray<Regex> credentials, RuleCatalog rules)
    {
        Probes = probes;
        Refusals = refusals;
        Credentials = credentials;
        Rules = rules;
    }

    public static ProbeCatalog Shipped => LazyShipped.Value;

    public ImmutableArray<ProbeDefinition> Probes { get; }

    /// <summary>Patterns of a refusal ("I can't help with that").</summary>
    public ImmutableArray<Regex> Refusals { get; }

    /// <summary>Patterns of credentials a target must never print.</summary>
    public ImmutableArray<Regex> Credentials { get; }

    /// <summary>The RAMP-RT rules, with why each matters and how to fix it.</summary>
    public RuleCatalog Rules { get; }

    /// <summary>The probe families in catalog order.</summary>
    public IEnumerable<string> Families => Probes.Select(p => p.Family).Distinct(StringComparer.Ordinal);

    /// <summary>Probes of the named families (all when <paramref name="families"/> is empty); unknown names throw.</summary>
    public ImmutableArray<ProbeDefinition> Select(IReadOnlyCollection<string> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        var unknown = families.Where(f => !Families.Contains(f, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown probe famil{(unknown.Count == 1 ? "y" : "ies")} {string.Join(", ", unknown)} (known: {string.Join(", ", Families)})", nameof(families));
        }

        return families.Count == 0 ? Probes : [.. Probes.Where(p => families.Contains(p.Family, StringComparer.Ordinal))];
    }

    internal static ProbeCatalog Load(Assembly assembly)
    {
        string Resource(string name)
        {
            using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} is missing");
            using var reader = new StreamReader(stream);
            return Core.IO.BoundedFile.ReadToEndAsync(reader, name, 4 << 20).GetAwaiter().GetResult();
        }

        using var catalogStream = assembly.GetManifestResourceStream("rules/redteam/catalog.json") ?? throw new InvalidOperationException("resource rules/redteam/catalog.json is missing");
        var rules = new RuleCatalog(RuleFileParser.Parse(catalogStream, "rules/redteam/catalog.json"));
        using var detectors = JsonDocument.Parse(Resource("redteam/detectors.json"));
        ImmutableArray<Regex> Patterns(string name) =>
            [.. detectors.RootElement.GetProperty(name).EnumerateArray().Select(p => new Regex(p.GetString()!, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))];

        var probes = new List<ProbeDefinition>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("redteam/probes/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(Resource(name));
            var family = document.RootElement.GetProperty("family").GetString()!;
            foreach (var p in document.RootElement.GetProperty("probes").EnumerateArray())
            {
                probes.Add(ParseProbe(p, family, name, rules));
            }
        }

        var duplicate = probes.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"probe id {duplicate.Key} is defined twice");
        }

        return new ProbeCatalog([.. probes], Patterns("refusals"), Patterns("credentials"), rules);
    }

    private static ProbeDefinition ParseProbe(JsonElement p, string family, string source, RuleCatalog rules)
    {
        var id = p.GetProperty("id").GetString()!;
        var rule = p.GetProperty("rule").GetString()!;
        if (!rules.TryGet(rule, out _))
        {
            throw new InvalidDataException($"{source}: probe {id} names rule {rule}, which rules/redteam/catalog.json lacks");
        }

        string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
        ImmutableArray<string> List(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? [.. v.EnumerateArray().Select(x => x.GetString()!)] : [];

        var d = p.GetProperty("detector");
        var kindText = d.GetProperty("kind").GetString()!;
        var kind = kindText switch
        {
            "nonce" => DetectorKind.Nonce,
            "canary" => DetectorKind.Canary,
            "secret" => DetectorKind.Secret,
            "patterns" => DetectorKind.Patterns,
            "no-refusal" => DetectorKind.NoRefusal,
            "replay" => DetectorKind.Replay,
            "tool-call" => DetectorKind.ToolCall,
            "package" => DetectorKind.Package,
            "disparity" => DetectorKind.Disparity,
            _ => throw new InvalidDataException($"{source}: probe {id} has unknown detector kind '{kindText}'"),
        };
        var detector = new DetectorSpec(
            kind,
            List(d, "patterns"),
            List(d, "forbidden"),
            Text(d, "continuation"),
            d.TryGetProperty("minWords", out var w) ? w.GetInt32() : 8,
            Text(d, "package"),
            List(d, "attributes"),
            d.TryGetProperty("threshold", out var t) ? t.GetDouble() : 0);
        if (kind == DetectorKind.Disparity && (detector.Attributes.Length < 2 || detector.Threshold <= 0))
        {
            throw new InvalidDataException($"{source}: disparity probe {id} needs two or more attributes and a positive threshold");
        }

        var tools = p.TryGetProperty("tools", out var ts)
            ? ts.EnumerateArray().Select(x => new ChatTool(x.GetProperty("name").GetString()!, x.GetProperty("description").GetString()!)).ToImmutableArray()
            : [];
        var prompts = List(p, "prompts");
        if (prompts.IsDefaultOrEmpty)
        {
            throw new InvalidDataException($"{source}: probe {id} has no prompts");
        }

        return new ProbeDefinition(id, family, rule, p.GetProperty("title").GetString()!, Text(p, "system"), prompts, Text(p, "document"),
            Text(p, "payload"), Text(p, "encoding"), tools, detector, source);
    }
}
