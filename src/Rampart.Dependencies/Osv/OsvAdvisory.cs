using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Rampart.Core;
using Rampart.Dependencies.Pep440;
using YamlDotNet.RepresentationModel;

namespace Rampart.Dependencies.Osv;

/// <summary>One ECOSYSTEM range event: exactly one of introduced, fixed, last_affected, limit.</summary>
public sealed record OsvEvent(string Kind, string Version);

/// <summary>What an advisory says about one package.</summary>
public sealed record OsvAffected(string Package, ImmutableArray<ImmutableArray<OsvEvent>> Ranges, ImmutableArray<string> Versions)
{
    private ImmutableArray<ImmutableArray<(string Kind, PythonVersion? Version)>> _ranges;
    private ListedVersions? _listed;

    /// <summary>Per range: events sorted by version ("0" first, as null); at equal versions, closing events first.
    /// Built on first use (thread-safe: a race builds the same value twice).</summary>
    internal ImmutableArray<ImmutableArray<(string Kind, PythonVersion? Version)>> CompiledRanges =>
        _ranges.IsDefault ? _ranges = CompileRanges(Ranges) : _ranges;

    /// <summary>The versions list, as strings and parsed, for "is this version listed". Built on first use only:
    /// lists run to thousands of versions, and the database answers the question from its index instead.</summary>
    internal ListedVersions Listed => _listed ??= new ListedVersions(Versions);

    private static ImmutableArray<ImmutableArray<(string Kind, PythonVersion? Version)>> CompileRanges(ImmutableArray<ImmutableArray<OsvEvent>> ranges) =>
        ranges.Select(events => events
            .Select(e => (e.Kind, e.Version, Parsed: e.Version == "0" ? null : PythonVersion.TryParse(e.Version, out var p) ? p : null))
            .Where(e => e.Version == "0" || e.Parsed is not null)
            .OrderBy(e => e.Parsed is null ? 0 : 1)
            .ThenBy(e => e.Parsed)
            .ThenBy(e => e.Kind == "introduced" ? 1 : 0) // "fixed 1.0" then "introduced 1.0": two adjacent ranges, 1.0 affected
            .Select(e => (e.Kind, e.Parsed))
            .ToImmutableArray()).ToImmutableArray();
}

/// <summary>An advisory's versions list: exact strings, and by PEP 440 equality.</summary>
internal sealed class ListedVersions(ImmutableArray<string> versions)
{
    private readonly HashSet<string> _exact = new(versions, StringComparer.Ordinal);
    private readonly HashSet<string> _keys = new(versions.Select(v => PythonVersion.TryParse(v, out var p) ? p.EqualityKey : null).OfType<string>(), StringComparer.Ordinal);

    public bool Contains(string version, PythonVersion? parsed) => _exact.Contains(version) || (parsed is not null && _keys.Contains(parsed.EqualityKey));
}

/// <summary>An OSV advisory, reduced to what matching and reporting need.</summary>
public sealed record OsvAdvisory(
    string Id,
    string Summary,
    ImmutableArray<string> Aliases,
    Severity Severity,
    string SeverityBasis,
    string? Withdrawn,
    string? Modified,
    ImmutableArray<OsvAffected> Affected)
{
    public bool IsMalicious => Id.StartsWith("MAL-", StringComparison.Ordinal);
}

/// <summary>Reads OSV advisories from JSON (as OSV publishes them) or YAML (as the PyPA advisory database keeps them).</summary>
public static class OsvParser
{
    /// <summary>Largest advisory file read.</summary>
    public const long MaxAdvisoryBytes = 16 * 1024 * 1024;

    public static OsvAdvisory ParseJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        using var doc = JsonDocument.ParseValue(ref reader);
        return FromNode(ToNode(doc.RootElement));
    }

    public static OsvAdvisory ParseYaml(string text)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(text))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0)
        {
            throw new FormatException("the advisory is empty");
        }

        return FromNode(ToNode(yaml.Documents[0].RootNode, 0));
    }

    private static object? ToNode(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => ToNode(g.Last().Value), StringComparer.Ordinal),
        JsonValueKind.Array => e.EnumerateArray().Select(ToNode).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static object? ToNode(YamlNode node, int depth)
    {
        if (depth > 64)
        {
            throw new FormatException("the advisory is nested too deeply");
        }

        return node switch
        {
            YamlMappingNode m => m.Children.Where(kv => kv.Key is YamlScalarNode).GroupBy(kv => ((YamlScalarNode)kv.Key).Value ?? "", StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => ToNode(g.Last().Value, depth + 1), StringComparer.Ordinal),
            YamlSequenceNode s => s.Children.Select(c => ToNode(c, depth + 1)).ToList(),
            YamlScalarNode v => v.Value,
            _ => null,
        };
    }

    private static string? Str(Dictionary<string, object?> map, string key) => map.TryGetValue(key, out var v) ? v as string : null;

    private static IEnumerable<Dictionary<string, object?>> Maps(Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var v) && v is List<object?> list ? list.OfType<Dictionary<string, object?>>() : [];

    private static IEnumerable<string> Strings(Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var v) && v is List<object?> list ? list.OfType<string>() : [];

    private static OsvAdvisory FromNode(object? root)
    {
        if (root is not Dictionary<string, object?> map || Str(map, "id") is not { Length: > 0 } id)
        {
            throw new FormatException("an OSV advisory needs an 'id'");
        }

        var affected = ImmutableArray.CreateBuilder<OsvAffected>();
        foreach (var a in Maps(map, "affected"))
        {
            if (!a.TryGetValue("package", out var p) || p is not Dictionary<string, object?> package
                || !string.Equals(Str(package, "ecosystem")?.Split(':')[0], "PyPI", StringComparison.OrdinalIgnoreCase) || Str(package, "name") is not { } name)
            {
                continue;
            }

            var ranges = Maps(a, "ranges")
                .Where(r => string.Equals(Str(r, "type"), "ECOSYSTEM", StringComparison.Ordinal))
                .Select(r => Maps(r, "events").SelectMany(e => e.Where(kv => kv.Value is string).Select(kv => new OsvEvent(kv.Key, (string)kv.Value!)))
                    .Where(e => e.Kind is "introduced" or "fixed" or "last_affected" or "limit").ToImmutableArray())
                .ToImmutableArray();
            affected.Add(new OsvAffected(PackageName.Normalize(name), ranges, [.. Strings(a, "versions")]));
        }

        var (severity, basis) = SeverityOf(id, map);
        var summary = Str(map, "summary") ?? FirstSentence(Str(map, "details") ?? "");
        return new OsvAdvisory(id, summary, [.. Strings(map, "aliases")], severity, basis, Str(map, "withdrawn"), Str(map, "modified"), affected.ToImmutable());
    }

    private static string FirstSentence(string details)
    {
        var text = details.ReplaceLineEndings(" ").Trim();
        var dot = text.IndexOf(". ", StringComparison.Ordinal);
        text = dot > 0 ? text[..(dot + 1)] : text;
        return text.Length > 200 ? text[..197] + "..." : text;
    }

    /// <summary>
    /// MAL- advisories are Critical; then a CVSS v3/v4 vector's base score (v3 computed, v4 by its published bands
    /// where a score is given); then database_specific.severity (GHSA words); otherwise High (unrated: assume serious).
    /// </summary>
    internal static (Severity, string) SeverityOf(string id, Dictionary<string, object?> map)
    {
        if (id.StartsWith("MAL-", StringComparison.Ordinal))
        {
            return (Severity.Critical, "malicious package (MAL- advisory)");
        }

        foreach (var s in Maps(map, "severity"))
        {
            var score = Str(s, "score");
            if (score is not null && Str(s, "type") is "CVSS_V3" && Cvss3.TryBaseScore(score, out var value))
            {
                return (FromScore(value), $"CVSS {value.ToString("0.0", CultureInfo.InvariantCulture)}");
            }
        }

        foreach (var key in new[] { "database_specific", "ecosystem_specific" })
        {
            if (map.TryGetValue(key, out var d) && d is Dictionary<string, object?> ds && Str(ds, "severity") is { } word)
            {
                var sev = word.ToUpperInvariant() switch
                {
                    "CRITICAL" => Severity.Critical,
                    "HIGH" => Severity.High,
                    "MODERATE" or "MEDIUM" => Severity.Medium,
                    "LOW" => Severity.Low,
                    _ => (Severity?)null,
                };
                if (sev is { } v)
                {
                    return (v, $"{key}.severity {word}");
                }
            }
        }

        return (Severity.High, "unrated (treated as High)");
    }

    internal static Severity FromScore(double score) => score switch
    {
        >= 9.0 => Severity.Critical,
        >= 7.0 => Severity.High,
        >= 4.0 => Severity.Medium,
        > 0.0 => Severity.Low,
        _ => Severity.Info,
    };
}

/// <summary>The CVSS v3.0/v3.1 base score from a vector string (FIRST specification, section 7).</summary>
internal static class Cvss3
{
    private static readonly string[] BaseMetrics = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];

    public static bool TryBaseScore(string vector, out double score)
    {
        score = 0;
        var parts = vector.Split('/');
        if (parts.Length < 2 || !parts[0].StartsWith("CVSS:3", StringComparison.Ordinal))
        {
            return false;
        }

        var m = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parts.Skip(1))
        {
            var kv = p.Split(':');
            if (kv.Length != 2)
            {
                return false;
            }

            m[kv[0]] = kv[1];
        }

        if (!BaseMetrics.All(m.ContainsKey))
        {
            return false;
        }

        var changed = m["S"] == "C";
        double? av = m["AV"] switch { "N" => 0.85, "A" => 0.62, "L" => 0.55, "P" => 0.2, _ => null };
        double? ac = m["AC"] switch { "L" => 0.77, "H" => 0.44, _ => null };
        double? pr = m["PR"] switch { "N" => 0.85, "L" => changed ? 0.68 : 0.62, "H" => changed ? 0.5 : 0.27, _ => null };
        double? ui = m["UI"] switch { "N" => 0.85, "R" => 0.62, _ => null };
        static double? Cia(string v) => v switch { "H" => 0.56, "L" => 0.22, "N" => 0, _ => null };
        var c = Cia(m["C"]);
        var i = Cia(m["I"]);
        var a = Cia(m["A"]);
        if (av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null)
        {
            return false;
        }

        var iss = 1 - ((1 - c.Value) * (1 - i.Value) * (1 - a.Value));
        var impact = changed ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        var exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0)
        {
            score = 0;
            return true;
        }

        score = changed ? RoundUp(Math.Min(1.08 * (impact + exploitability), 10)) : RoundUp(Math.Min(impact + exploitability, 10));
        return true;
    }

    // CVSS 3.1 Roundup: the smallest number with one decimal equal to or higher than its input.
    private static double RoundUp(double value)
    {
        var integer = (long)Math.Round(value * 100000);
        return integer % 10000 == 0 ? integer / 100000.0 : (Math.Floor(integer / 10000.0) + 1) / 10.0;
    }
}
