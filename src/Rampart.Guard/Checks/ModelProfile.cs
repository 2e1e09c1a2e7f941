using System.Collections.Immutable;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Rampart.Guard.Checks;

/// <summary>The type a feature must have.</summary>
public enum FeatureType
{
    /// <summary><c>number</c>: any finite number.</summary>
    Number,

    /// <summary><c>integer</c>: a number without a fraction.</summary>
    WholeNumber,

    /// <summary><c>string</c>: text, optionally from a closed set.</summary>
    Text,

    /// <summary><c>bool</c>: true/false (or 1/0).</summary>
    Boolean,
}

/// <summary>One input feature of a model: its type, and optionally a range (numbers) or a closed set of values (strings).</summary>
public sealed record FeatureSpec(string Name, FeatureType Type, double? Min = null, double? Max = null, ImmutableArray<string> Allowed = default, bool Nullable = false);

/// <summary>
/// What a classic model accepts: its features in order, and the largest batch. Read from a small JSON or YAML file:
/// <code>
/// model: iris
/// maxBatch: 64
/// features:
///   - { name: sepal_length, type: number, min: 0, max: 10 }
///   - { name: species_hint, type: string, allowed: [a, b], nullable: true }
/// </code>
/// </summary>
public sealed record ModelProfile(string Model, ImmutableArray<FeatureSpec> Features, int MaxBatch = 0)
{
    private static readonly string[] ProfileKeys = ["model", "maxBatch", "features"];
    private static readonly string[] FeatureKeys = ["name", "type", "min", "max", "allowed", "nullable"];

    /// <summary>Parses a profile (YAML or JSON); throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public static ModelProfile Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{source}: not valid YAML/JSON ({e.Start.Line}:{e.Start.Column}): {e.Message}", e);
        }

        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidDataException($"{source}: a model profile is one mapping");
        }

        Keys(root, ProfileKeys, source);
        var model = Scalar(root, "model", source) ?? throw new InvalidDataException($"{source}: 'model' is required");
        var maxBatch = Scalar(root, "maxBatch", source) is { } b ? int.Parse(b, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;
        if (!root.Children.TryGetValue(new YamlScalarNode("features"), out var f) || f is not YamlSequenceNode list || list.Children.Count == 0)
        {
            throw new InvalidDataException($"{source}: 'features' must be a non-empty list");
        }

        var features = ImmutableArray.CreateBuilder<FeatureSpec>();
        foreach (var node in list.Children)
        {
            if (node is not YamlMappingNode feature)
            {
                throw new InvalidDataException($"{source}: each feature is a mapping");
            }

            Keys(feature, FeatureKeys, source);
            var name = Scalar(feature, "name", source) ?? throw new InvalidDataException($"{source}: a feature lacks 'name'");
            var typeText = Scalar(feature, "type", source) ?? "number";
            FeatureType type = typeText switch
            {
                "number" or "float" or "double" => FeatureType.Number,
                "integer" or "int" => FeatureType.WholeNumber,
                "string" or "text" => FeatureType.Text,
                "bool" or "boolean" => FeatureType.Boolean,
                _ => throw new InvalidDataException($"{source}: feature '{name}' has unknown type '{typeText}' (number, integer, string, bool)"),
            };

            var allowed = feature.Children.TryGetValue(new YamlScalarNode("allowed"), out var a)
                ? (a as YamlSequenceNode ?? throw new InvalidDataException($"{source}: 'allowed' of '{name}' is not a list")).Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToImmutableArray()
                : default;
            features.Add(new FeatureSpec(name, type, Number(feature, "min", source), Number(feature, "max", source), allowed,
                Scalar(feature, "nullable", source) is { } n && bool.Parse(n)));
        }

        return new ModelProfile(model, features.ToImmutable(), maxBatch);
    }

    private static void Keys(YamlMappingNode node, string[] known, string source)
    {
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k, StringComparer.Ordinal))
            {
                throw new InvalidDataException($"{source}: unknown key '{key}' (known: {string.Join(", ", known)})");
            }
        }
    }

    private static string? Scalar(YamlMappingNode node, string key, string source) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v)
            ? (v as YamlScalarNode ?? throw new InvalidDataException($"{source}: '{key}' is not a single value")).Value
            : null;

    private static double? Number(YamlMappingNode node, string key, string source) =>
        Scalar(node, key, source) is { } s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new InvalidDataException($"{source}: '{key}' is not a number")
            : null;
}
