using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Rampart.Data.Anonymize;

/// <summary>A policy that cannot be used, or an anonymisation that cannot be done; the message says why.</summary>
public sealed class AnonymizationException(string message) : Exception(message);

/// <summary>What to do with one column.</summary>
public enum ColumnAction
{
    /// <summary>Leave as is.</summary>
    Keep,

    /// <summary>Drop the column.</summary>
    Suppress,

    /// <summary>Replace all but the last N characters with '*'.</summary>
    Mask,

    /// <summary>HMAC-SHA256 with the policy's secret key (hex, first 32 digits): joins still work, values are not reversible without the key.</summary>
    Hash,

    /// <summary>Numbers to ranges of a bin width ("30-39"), dates to their year, text to its first N characters.</summary>
    Generalize,
}

/// <summary>One column's rule.</summary>
public sealed record ColumnRule(ColumnAction Action, int Keep = 0, double BinWidth = 0, bool Year = false);

/// <summary>One differentially private aggregate.</summary>
/// <param name="Statistic">count (optionally per value of <paramref name="By"/>), sum or mean.</param>
/// <param name="Column">The summed or averaged column.</param>
/// <param name="By">The column a count is split by (disjoint groups: one epsilon for the whole histogram).</param>
/// <param name="Lower">Values are clamped to [Lower, Upper], which bounds the sensitivity.</param>
/// <param name="Upper">See <paramref name="Lower"/>.</param>
/// <param name="Epsilon">The budget this release spends.</param>
/// <param name="Delta">For the Gaussian mechanism.</param>
/// <param name="Mechanism">laplace or gaussian.</param>
public sealed record DpQuery(string Statistic, string? Column, string? By, double Lower, double Upper, double Epsilon, double Delta, string Mechanism);

/// <summary>
/// An anonymisation policy (YAML; docs/data.md): per-column actions, the quasi-identifiers with the k (and the
/// sensitive column with the l) to reach, and differentially private aggregates with a total privacy budget.
/// </summary>
public sealed record AnonymizationPolicy(
    IReadOnlyDictionary<string, ColumnRule> Columns,
    IReadOnlyList<string> QuasiIdentifiers,
    string? Sensitive,
    int K,
    int L,
    byte[]? HashKey,
    double BudgetEpsilon,
    double BudgetDelta,
    IReadOnlyList<DpQuery> Queries)
{
    public static AnonymizationPolicy Parse(string yaml, string source, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new AnonymizationException($"{source}: not valid YAML ({e.Message})");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new AnonymizationException($"{source}: the policy must be one YAML mapping");
        }

        Known(root, source, "columns", "quasi-identifiers", "sensitive", "k", "l", "key-file", "key-env", "dp");
        var columns = new Dictionary<string, ColumnRule>(StringComparer.Ordinal);
        if (Child(root, "columns") is YamlMappingNode cols)
        {
            foreach (var (k, v) in cols.Children)
            {
                columns[Text(k)] = Rule(v, $"{source}: column '{Text(k)}'");
            }
        }

        var qi = Child(root, "quasi-identifiers") is YamlSequenceNode seq ? seq.Children.Select(Text).ToList() : [];
        var kValue = Int(root, "k", 1);
        var lValue = Int(root, "l", 1);
        byte[]? key = null;
        if (Child(root, "key-file") is { } kf)
        {
            var path = Path.GetFullPath(Text(kf), Path.GetDirectoryName(Path.GetFullPath(source, baseDirectory)) ?? baseDirectory);
            key = Rampart.Core.IO.BoundedFile.ReadAllBytes(path, 4096);
        }
        else if (Child(root, "key-env") is { } ke)
        {
            var value = Environment.GetEnvironmentVariable(Text(ke));
            key = string.IsNullOrEmpty(value) ? throw new AnonymizationException($"{source}: key-env names ${Text(ke)}, which is not set") : System.Text.Encoding.UTF8.GetBytes(value);
        }

        if (columns.Values.Any(c => c.Action == ColumnAction.Hash) && (key is null || key.Length < 16))
        {
            throw new AnonymizationException($"{source}: hash needs a secret of at least 16 bytes (key-file or key-env); an unkeyed hash of an e-mail is reversible by guessing");
        }

        double budgetEpsilon = 0, budgetDelta = 0;
        var queries = new List<DpQuery>();
        if (Child(root, "dp") is YamlMappingNode dp)
        {
            Known(dp, source + ": dp", "epsilon", "delta", "queries");
            budgetEpsilon = Double(dp, "epsilon", 0);
            budgetDelta = Double(dp, "delta", 0);
            if (Child(dp, "queries") is YamlSequenceNode qs)
            {
                foreach (var q in qs.Children.OfType<YamlMappingNode>())
                {
                    Known(q, source + ": dp query", "stat", "column", "by", "lower", "upper", "epsilon", "delta", "mechanism");
                    var query = new DpQuery(Text(Child(q, "stat") ?? throw new AnonymizationException($"{source}: a dp query needs stat")),
                        Child(q, "column") is { } c ? Text(c) : null, Child(q, "by") is { } b ? Text(b) : null,
                        Double(q, "lower", 0), Double(q, "upper", 0), Double(q, "epsilon", 0), Double(q, "delta", 0), Child(q, "mechanism") is { } m ? Text(m) : "laplace");
                    if (query.Statistic is not ("count" or "sum" or "mean") || query.Mechanism is not ("laplace" or "gaussian") || query.Epsilon <= 0
                        || (query.Statistic != "count" && (query.Column is null || query.Upper <= query.Lower))
                        || (query.Mechanism == "gaussian" && (query.Delta <= 0 || query.Delta >= 1 || query.Epsilon >= 1)))
                    {
                        throw new AnonymizationException($"{source}: dp query {query.Statistic} is invalid: stat is count, sum or mean; sum and mean need column and lower < upper; epsilon > 0; gaussian needs 0 < epsilon < 1 and 0 < delta < 1");
                    }

                    queries.Add(query);
                }
            }

            var spent = queries.Sum(q => q.Epsilon);
            var spentDelta = queries.Sum(q => q.Delta);
            if (spent > budgetEpsilon + 1e-12 || spentDelta > budgetDelta + 1e-15)
            {
                throw new AnonymizationException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: the dp queries spend epsilon {spent} and delta {spentDelta}, over the budget of epsilon {budgetEpsilon} and delta {budgetDelta} (sequential composition)"));
            }
        }

        return new AnonymizationPolicy(columns, qi, Child(root, "sensitive") is { } s ? Text(s) : null, kValue, lValue, key, budgetEpsilon, budgetDelta, queries);
    }

    private static ColumnRule Rule(YamlNode node, string where)
    {
        if (node is YamlScalarNode scalar)
        {
            return Text(scalar) switch
            {
                "keep" => new ColumnRule(ColumnAction.Keep),
                "suppress" => new ColumnRule(ColumnAction.Suppress),
                "hash" => new ColumnRule(ColumnAction.Hash),
                "mask" => new ColumnRule(ColumnAction.Mask),
                var other => throw new AnonymizationException($"{where}: unknown action '{other}' (keep, suppress, hash, mask, or a mapping mask: N / generalize: ...)"),
            };
        }

        if (node is YamlMappingNode map && map.Children.Count == 1)
        {
            var (k, v) = map.Children.First();
            var value = Text(v);
            return Text(k) switch
            {
                "mask" => new ColumnRule(ColumnAction.Mask, Keep: ParseInt(value, where)),
                "generalize" when value == "year" => new ColumnRule(ColumnAction.Generalize, Year: true),
                "generalize" when value.StartsWith("prefix:", StringComparison.Ordinal) => new ColumnRule(ColumnAction.Generalize, Keep: ParseInt(value[7..], where)),
                "generalize" => new ColumnRule(ColumnAction.Generalize, BinWidth: double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w > 0 ? w : throw new AnonymizationException($"{where}: generalize takes a bin width, 'year' or 'prefix:N'")),
                var other => throw new AnonymizationException($"{where}: unknown action '{other}'"),
            };
        }

        throw new AnonymizationException($"{where}: expected an action name or a one-key mapping");
    }

    private static void Known(YamlMappingNode map, string where, params string[] keys)
    {
        foreach (var key in map.Children.Keys.Select(Text))
        {
            if (!keys.Contains(key, StringComparer.Ordinal))
            {
                throw new AnonymizationException($"{where}: unknown key '{key}' (known: {string.Join(", ", keys)})");
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string Text(YamlNode node) => node is YamlScalarNode s ? s.Value ?? string.Empty : throw new AnonymizationException($"expected a plain value at line {node.Start.Line}");

    private static int Int(YamlMappingNode map, string key, int fallback) => Child(map, key) is { } v ? ParseInt(Text(v), key) : fallback;

    private static int ParseInt(string text, string where) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= 0 ? i : throw new AnonymizationException($"{where}: '{text}' is not a non-negative integer");

    private static double Double(YamlMappingNode map, string key, double fallback) =>
        Child(map, key) is { } v ? (double.TryParse(Text(v), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d : throw new AnonymizationException($"'{key}' must be a non-negative number")) : fallback;
}
