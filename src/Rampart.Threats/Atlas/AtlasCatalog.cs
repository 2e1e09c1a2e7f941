using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json;

namespace Rampart.Threats.Atlas;

public sealed record AtlasTactic(string Id, string Name);

/// <summary>An ATLAS technique; <c>Parent</c> is set for a sub-technique (AML.T0010.003 has AML.T0010).</summary>
public sealed record AtlasTechnique(string Id, string Name, ImmutableArray<string> Tactics, string? Parent, string? Maturity)
{
    public Uri Url => new($"https://atlas.mitre.org/techniques/{Id}");
}

/// <summary>How one mitigation answers one technique, in ATLAS's words.</summary>
public sealed record AtlasMitigationUse(string Technique, string Use);

public sealed record AtlasMitigation(string Id, string Name, ImmutableArray<string> Categories, ImmutableArray<AtlasMitigationUse> Techniques)
{
    public Uri Url => new($"https://atlas.mitre.org/mitigations/{Id}");
}

/// <summary>
/// The MITRE ATLAS tactics, techniques and mitigations Rampart maps threats to: the compact JSON that
/// <see cref="AtlasImporter"/> derives from ATLAS's published dist/ATLAS.yaml (rules/atlas/, with its licence and
/// NOTICE), embedded in this assembly.
/// </summary>
public sealed class AtlasCatalog
{
    private static readonly Lazy<AtlasCatalog> Shipped = new(() =>
    {
        using var stream = typeof(AtlasCatalog).Assembly.GetManifestResourceStream("atlas/atlas.json")
            ?? throw new InvalidOperationException("the ATLAS data (rules/atlas/atlas.json) is not embedded");
        return Read(stream);
    });

    private readonly FrozenDictionary<string, AtlasTechnique> _techniques;
    private readonly FrozenDictionary<string, AtlasMitigation> _mitigations;

    public AtlasCatalog(string version, ImmutableArray<AtlasTactic> tactics, ImmutableArray<AtlasTechnique> techniques, ImmutableArray<AtlasMitigation> mitigations)
    {
        Version = version;
        Tactics = tactics;
        Techniques = techniques;
        Mitigations = mitigations;
        _techniques = techniques.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        _mitigations = mitigations.ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
    }

    /// <summary>The catalog shipped with Rampart (ATLAS data version in <see cref="Version"/>).</summary>
    public static AtlasCatalog Default => Shipped.Value;

    /// <summary>The data version ATLAS.yaml states (its top-level <c>version</c>).</summary>
    public string Version { get; }

    public ImmutableArray<AtlasTactic> Tactics { get; }

    public ImmutableArray<AtlasTechnique> Techniques { get; }

    public ImmutableArray<AtlasMitigation> Mitigations { get; }

    public AtlasTechnique? Technique(string id) => _techniques.GetValueOrDefault(id);

    public AtlasMitigation? Mitigation(string id) => _mitigations.GetValueOrDefault(id);

    /// <summary>
    /// The mitigations ATLAS lists against a technique. A sub-technique is also answered by the mitigations of its
    /// technique (ATLAS lists some mitigations only at the technique level).
    /// </summary>
    public IEnumerable<AtlasMitigation> MitigationsFor(string techniqueId)
    {
        var parent = Technique(techniqueId)?.Parent;
        return Mitigations.Where(m => m.Techniques.Any(u => u.Technique == techniqueId || (parent is not null && u.Technique == parent)));
    }

    /// <summary>How ATLAS says <paramref name="mitigationId"/> answers <paramref name="techniqueId"/> (or its parent).</summary>
    public string? Use(string mitigationId, string techniqueId)
    {
        var m = Mitigation(mitigationId);
        var parent = Technique(techniqueId)?.Parent;
        return m?.Techniques.FirstOrDefault(u => u.Technique == techniqueId)?.Use
            ?? (parent is null ? null : m?.Techniques.FirstOrDefault(u => u.Technique == parent)?.Use);
    }

    public static AtlasCatalog Read(Stream json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        static ImmutableArray<string> Strings(JsonElement e, string name) =>
            e.TryGetProperty(name, out var a) ? [.. a.EnumerateArray().Select(x => x.GetString()!)] : [];
        static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
        return new AtlasCatalog(
            root.GetProperty("version").GetString()!,
            [.. root.GetProperty("tactics").EnumerateArray().Select(t => new AtlasTactic(t.GetProperty("id").GetString()!, t.GetProperty("name").GetString()!))],
            [.. root.GetProperty("techniques").EnumerateArray().Select(t => new AtlasTechnique(
                t.GetProperty("id").GetString()!, t.GetProperty("name").GetString()!, Strings(t, "tactics"), Optional(t, "parent"), Optional(t, "maturity")))],
            [.. root.GetProperty("mitigations").EnumerateArray().Select(m => new AtlasMitigation(
                m.GetProperty("id").GetString()!, m.GetProperty("name").GetString()!, Strings(m, "categories"),
                [.. m.GetProperty("techniques").EnumerateArray().Select(u => new AtlasMitigationUse(u.GetProperty("id").GetString()!, u.GetProperty("use").GetString()!))]))]);
    }

    /// <summary>The compact JSON form (rules/atlas/atlas.json): stable order, indented, LF line ends.</summary>
    public void Write(Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("$comment", "Derived from MITRE ATLAS dist/ATLAS.yaml by `rampart threats atlas refresh`; see NOTICE and LICENSE beside this file. Do not edit by hand.");
        w.WriteString("version", Version);
        w.WriteStartArray("tactics");
        foreach (var t in Tactics)
        {
            w.WriteStartObject();
            w.WriteString("id", t.Id);
            w.WriteString("name", t.Name);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("techniques");
        foreach (var t in Techniques)
        {
            w.WriteStartObject();
            w.WriteString("id", t.Id);
            w.WriteString("name", t.Name);
            if (!t.Tactics.IsEmpty)
            {
                WriteStrings(w, "tactics", t.Tactics);
            }

            if (t.Parent is not null)
            {
                w.WriteString("parent", t.Parent);
            }

            if (t.Maturity is not null)
            {
                w.WriteString("maturity", t.Maturity);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("mitigations");
        foreach (var m in Mitigations)
        {
            w.WriteStartObject();
            w.WriteString("id", m.Id);
            w.WriteString("name", m.Name);
            WriteStrings(w, "categories", m.Categories);
            w.WriteStartArray("techniques");
            foreach (var u in m.Techniques)
            {
                w.WriteStartObject();
                w.WriteString("id", u.Technique);
                w.WriteString("use", u.Use);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, ImmutableArray<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }
}
