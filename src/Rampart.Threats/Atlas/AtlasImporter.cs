using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Rampart.Core.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rampart.Threats.Atlas;

/// <summary>
/// Imports MITRE ATLAS from its published data file (mitre-atlas/atlas-data, dist/ATLAS.yaml): the first matrix's
/// tactics, techniques (with sub-technique parents) and mitigations (with the techniques each answers and how).
/// Descriptions and case studies are left out: reports link to atlas.mitre.org for them.
/// </summary>
public static partial class AtlasImporter
{
    /// <summary>ATLAS.yaml 5.6 is 450 KB; 32 MB leaves room for growth and stops a wrong file early.</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    [GeneratedRegex(@"^AML\.TA\d{4}$")]
    private static partial Regex TacticId();

    [GeneratedRegex(@"^AML\.T\d{4}(\.\d{3})?$")]
    private static partial Regex TechniqueId();

    [GeneratedRegex(@"^AML\.M\d{4}$")]
    private static partial Regex MitigationId();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    public static AtlasCatalog ImportFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: no such file");
        }

        return Import(BoundedFile.ReadAllText(path, MaxBytes), path);
    }

    public static AtlasCatalog Import(string yamlText, string source)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(yamlText));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}", e);
        }

        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root || Str(root, "id") != "ATLAS")
        {
            throw new InvalidDataException($"{source}: not an ATLAS data file (expected a mapping with id: ATLAS, as in dist/ATLAS.yaml)");
        }

        var version = Str(root, "version") ?? throw Bad(source, root, "has no 'version'");
        if (Get(root, "matrices") is not YamlSequenceNode { Children.Count: > 0 } matrices || matrices.Children[0] is not YamlMappingNode matrix)
        {
            throw Bad(source, root, "has no 'matrices'");
        }

        var tactics = Seq(matrix, "tactics", source).Select(t => new AtlasTactic(Id(t, TacticId(), source), Name(t, source))).ToImmutableArray();
        var techniques = Seq(matrix, "techniques", source).Select(t => new AtlasTechnique(
            Id(t, TechniqueId(), source),
            Name(t, source),
            [.. (Get(t, "tactics") as YamlSequenceNode)?.Children.Select(c => ((YamlScalarNode)c).Value!) ?? []],
            Str(t, "subtechnique-of"),
            Str(t, "maturity"))).ToImmutableArray();
        var mitigations = Seq(matrix, "mitigations", source).Select(m => new AtlasMitigation(
            Id(m, MitigationId(), source),
            Name(m, source),
            [.. (Get(m, "category") as YamlSequenceNode)?.Children.Select(c => ((YamlScalarNode)c).Value!) ?? []],
            [.. ((Get(m, "techniques") as YamlSequenceNode)?.Children ?? []).OfType<YamlMappingNode>()
                .Select(u => new AtlasMitigationUse(Id(u, TechniqueId(), source), Spaces().Replace(Str(u, "use") ?? "", " ").Trim()))
                .DistinctBy(u => u.Technique, StringComparer.Ordinal)])).ToImmutableArray();

        var known = techniques.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var t in techniques.Where(t => t.Parent is not null && !known.Contains(t.Parent)))
        {
            throw new InvalidDataException($"{source}: technique {t.Id} is a sub-technique of {t.Parent}, which the file does not define");
        }

        foreach (var (m, u) in mitigations.SelectMany(m => m.Techniques.Select(u => (m, u))).Where(x => !known.Contains(x.u.Technique)))
        {
            throw new InvalidDataException($"{source}: mitigation {m.Id} answers technique {u.Technique}, which the file does not define");
        }

        return new AtlasCatalog(version, tactics, techniques, mitigations);
    }

    private static InvalidDataException Bad(string source, YamlNode node, string message) =>
        new($"{source}:{node.Start.Line}:{node.Start.Column}: the ATLAS data {message}");

    private static IEnumerable<YamlMappingNode> Seq(YamlMappingNode n, string key, string source) =>
        Get(n, key) is YamlSequenceNode s ? s.Children.Select(c => c as YamlMappingNode ?? throw Bad(source, c, $"lists a {key} entry that is not a mapping")) : throw Bad(source, n, $"has no '{key}' list");

    private static string Id(YamlMappingNode n, Regex pattern, string source) =>
        Str(n, "id") is { } id && pattern.IsMatch(id) ? id : throw Bad(source, n, $"has an entry with a missing or malformed id '{Str(n, "id")}'");

    private static string Name(YamlMappingNode n, string source) =>
        Str(n, "name") is { Length: > 0 } name ? Spaces().Replace(name, " ").Trim() : throw Bad(source, n, $"entry {Str(n, "id")} has no name");

    private static YamlNode? Get(YamlMappingNode n, string key) => n.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Str(YamlMappingNode n, string key) => Get(n, key) is YamlScalarNode s ? s.Value : null;
}
