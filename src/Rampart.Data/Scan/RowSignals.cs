using System.Globalization;
using System.Text.RegularExpressions;
using Rampart.Data.Reading;

namespace Rampart.Data.Scan;

/// <summary>Outlying values of one numeric column.</summary>
public sealed record ColumnOutliers(string Column, double Median, double Scale, IReadOnlyList<(long Row, long Line, string Value, double Z)> Rows, long Count);

/// <summary>A token or value whose rows nearly all carry one label.</summary>
/// <param name="Features">"text contains 'cf'", "pixel_0 = 16": several when they mark the same rows.</param>
/// <param name="Label">The label the rows carry.</param>
/// <param name="Support">Rows carrying the feature.</param>
/// <param name="Purity">Share of them with <paramref name="Label"/>.</param>
/// <param name="BaseRate">Share of all rows with <paramref name="Label"/>.</param>
/// <param name="Z">Binomial z-score of the count against the base rate.</param>
/// <param name="Rows">1-based data rows carrying it (first ones).</param>
/// <param name="Lines">Their lines.</param>
public sealed record TriggerCandidate(IReadOnlyList<string> Features, string Label, int Support, double Purity, double BaseRate, double Z, IReadOnlyList<long> Rows, IReadOnlyList<long> Lines);

/// <summary>Outliers (robust z-scores) and backdoor-trigger candidates over the rows held in memory.</summary>
public static partial class RowSignals
{
    public const double OutlierZ = 3.5;

    /// <summary>
    /// Values whose modified z-score 0.6745 (x - median) / MAD exceeds 3.5 (Iglewicz and Hoaglin). Where the MAD is 0
    /// (most values equal) the mean absolute deviation times 1.2533 stands in. Columns where more than 1% of the values
    /// would be flagged have a heavy tail rather than outliers and are left out.
    /// </summary>
    public static IReadOnlyList<ColumnOutliers> Outliers(IReadOnlyList<DataRow> rows, IReadOnlyList<(int Index, string Name)> numericColumns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(numericColumns);
        var result = new List<ColumnOutliers>();
        foreach (var (index, name) in numericColumns)
        {
            var values = new List<(DataRow Row, double Value, string Text)>();
            foreach (var row in rows)
            {
                if (row.Values[index] is { } text && ColumnStats.TryNumber(text, out var v))
                {
                    values.Add((row, v, text));
                }
            }

            if (values.Count < 20)
            {
                continue;
            }

            var median = Median(values.Select(v => v.Value));
            var mad = Median(values.Select(v => Math.Abs(v.Value - median)));
            var scale = mad > 0 ? mad / 0.6745 : values.Average(v => Math.Abs(v.Value - median)) * 1.2533;
            if (scale <= 0 || !double.IsFinite(scale))
            {
                continue;
            }

            var flagged = values.Select(v => (v.Row, v.Text, Z: (v.Value - median) / scale)).Where(v => Math.Abs(v.Z) > OutlierZ).ToList();
            if (flagged.Count == 0 || flagged.Count > 0.01 * values.Count)
            {
                continue;
            }

            result.Add(new ColumnOutliers(name, median, scale,
                [.. flagged.OrderByDescending(f => Math.Abs(f.Z)).Take(20).OrderBy(f => f.Row.Index).Select(f => (f.Row.Index + 1, f.Row.Line, f.Text, Math.Round(f.Z, 2)))],
                flagged.Count));
        }

        return result;
    }

    /// <summary>
    /// Backdoor-trigger candidates: features (a lower-cased word of a text column; a value of another column with few
    /// distinct values) carried by at least max(5, 0.2%) and at most 20% of the labelled rows, whose rows have one label
    /// with purity at least 0.9, at least 25 points above its base rate, and a binomial z-score of at least 4. Features marking
    /// (nearly) the same rows are merged into one pattern, which is kept when at least 70% of its rows look like
    /// another label once the pattern's own features are ignored (see <see cref="OutOfPlace"/>).
    /// </summary>
    public static IReadOnlyList<TriggerCandidate> Triggers(IReadOnlyList<DataRow> rows, int labelColumn, IReadOnlyList<(int Index, string Name)> textColumns, IReadOnlyList<(int Index, string Name)> otherColumns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(textColumns);
        ArgumentNullException.ThrowIfNull(otherColumns);
        var labelled = rows.Where(r => !string.IsNullOrEmpty(r.Values[labelColumn])).ToList();
        var n = labelled.Count;
        if (n < 50)
        {
            return [];
        }

        var labelCounts = labelled.GroupBy(r => r.Values[labelColumn]!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var features = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var origin = new Dictionary<string, (int Column, string? Word)>(StringComparer.Ordinal);
        void Mark(string feature, int row, int column, string? word)
        {
            origin.TryAdd(feature, (column, word));
            if (!features.TryGetValue(feature, out var list))
            {
                list = [];
                features[feature] = list;
            }

            if (list.Count == 0 || list[^1] != row)
            {
                list.Add(row);
            }
        }

        for (var i = 0; i < n; i++)
        {
            foreach (var (index, name) in textColumns)
            {
                if (labelled[i].Values[index] is { } text)
                {
                    foreach (var word in Words().Matches(text.ToLowerInvariant()).Select(m => m.Value).Distinct(StringComparer.Ordinal))
                    {
                        Mark(textColumns.Count == 1 ? $"text contains '{word}'" : $"{name} contains '{word}'", i, index, word);
                    }
                }
            }
        }

        foreach (var (index, name) in otherColumns)
        {
            var column = labelled.Select(r => r.Values[index] ?? string.Empty).ToArray();
            var counts = column.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            if (counts.Count > Math.Max(50, n / 4))
            {
                continue; // continuous or identifier-like: single values do not repeat enough to mark anything
            }

            for (var i = 0; i < n; i++)
            {
                if (counts[column[i]] <= 0.2 * n)
                {
                    Mark($"{name} = {(column[i].Length == 0 ? "(empty)" : column[i])}", i, index, null);
                }
            }
        }

        var minimum = Math.Max(5, (int)Math.Ceiling(0.002 * n));
        var candidates = new List<(string Feature, List<int> Rows, string Label, double Purity, double Base, double Z)>();
        foreach (var (feature, marked) in features)
        {
            if (marked.Count < minimum || marked.Count > 0.2 * n)
            {
                continue;
            }

            var top = marked.GroupBy(i => labelled[i].Values[labelColumn]!, StringComparer.Ordinal).MaxBy(g => g.Count())!;
            var purity = top.Count() / (double)marked.Count;
            var p = labelCounts[top.Key] / (double)n;
            var z = (top.Count() - (marked.Count * p)) / Math.Sqrt(marked.Count * p * (1 - p));
            if (purity >= 0.9 && purity - p >= 0.25 && z >= 4)
            {
                candidates.Add((feature, marked, top.Key, purity, p, z));
            }
        }

        var merged = new List<TriggerCandidate>();
        var used = new bool[candidates.Count];
        var ordered = candidates.OrderByDescending(c => c.Z).ThenBy(c => c.Feature, StringComparer.Ordinal).ToList();
        for (var a = 0; a < ordered.Count; a++)
        {
            if (used[a])
            {
                continue;
            }

            var group = new List<string> { ordered[a].Feature };
            var set = ordered[a].Rows.ToHashSet();
            for (var b = a + 1; b < ordered.Count; b++)
            {
                if (!used[b] && string.Equals(ordered[b].Label, ordered[a].Label, StringComparison.Ordinal) && Jaccard(set, ordered[b].Rows) >= 0.8)
                {
                    used[b] = true;
                    group.Add(ordered[b].Feature);
                }
            }

            var c = ordered[a];
            var outOfPlace = OutOfPlace(labelled, labelColumn, c.Rows, c.Label, [.. group.Select(g => origin[g])], textColumns, otherColumns);
            if (outOfPlace < 0.7)
            {
                continue; // the rows look like their label without the feature: a natural predictor, not a planted trigger
            }

            merged.Add(new TriggerCandidate(group, c.Label, c.Rows.Count, Math.Round(c.Purity, 3), Math.Round(c.Base, 3), Math.Round(c.Z, 1),
                [.. c.Rows.Take(20).Select(i => labelled[i].Index + 1)], [.. c.Rows.Take(20).Select(i => labelled[i].Line)]));
        }

        return merged;
    }

    /// <summary>
    /// The share of a candidate's rows that a simple model, blind to the candidate's own features, assigns to another
    /// label than the one they carry: the nearest class centroid over the other z-scored numeric columns, plus a
    /// multinomial naive Bayes over the other words of the text columns. A natural predictor (a pixel that is mostly
    /// lit in 4s) has rows that look like their label anyway; a planted trigger's rows look like their original class.
    /// </summary>
    private static double OutOfPlace(List<DataRow> labelled, int labelColumn, List<int> rows, string label, List<(int Column, string? Word)> excluded,
        IReadOnlyList<(int Index, string Name)> textColumns, IReadOnlyList<(int Index, string Name)> otherColumns)
    {
        var classes = labelled.Select(r => r.Values[labelColumn]!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var scores = new double[rows.Count, classes.Length];
        var excludedColumns = excluded.Where(e => e.Word is null).Select(e => e.Column).ToHashSet();
        var excludedWords = excluded.Where(e => e.Word is not null).Select(e => e.Word!).ToHashSet(StringComparer.Ordinal);
        var numeric = otherColumns.Where(c => !excludedColumns.Contains(c.Index)
            && labelled.Count(r => r.Values[c.Index] is { } v && ColumnStats.TryNumber(v, out _)) >= 0.95 * labelled.Count).Select(c => c.Index).ToArray();
        if (numeric.Length > 0)
        {
            var values = labelled.Select(r => numeric.Select(c => r.Values[c] is { } v && ColumnStats.TryNumber(v, out var d) ? d : 0).ToArray()).ToArray();
            var mean = new double[numeric.Length];
            var sd = new double[numeric.Length];
            for (var j = 0; j < numeric.Length; j++)
            {
                mean[j] = values.Average(v => v[j]);
                sd[j] = Math.Sqrt(values.Average(v => (v[j] - mean[j]) * (v[j] - mean[j])));
                sd[j] = sd[j] > 0 ? sd[j] : 1;
            }

            var centroids = new double[classes.Length, numeric.Length];
            var sizes = new int[classes.Length];
            for (var i = 0; i < labelled.Count; i++)
            {
                var k = classIndex[labelled[i].Values[labelColumn]!];
                sizes[k]++;
                for (var j = 0; j < numeric.Length; j++)
                {
                    centroids[k, j] += (values[i][j] - mean[j]) / sd[j];
                }
            }

            for (var r = 0; r < rows.Count; r++)
            {
                for (var k = 0; k < classes.Length; k++)
                {
                    double distance = 0;
                    for (var j = 0; j < numeric.Length; j++)
                    {
                        var d = ((values[rows[r]][j] - mean[j]) / sd[j]) - (centroids[k, j] / Math.Max(1, sizes[k]));
                        distance += d * d;
                    }

                    scores[r, k] -= distance / 2;
                }
            }
        }

        if (textColumns.Count > 0)
        {
            var counts = new Dictionary<string, int>[classes.Length];
            var totals = new int[classes.Length];
            for (var k = 0; k < classes.Length; k++)
            {
                counts[k] = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            var vocabulary = new HashSet<string>(StringComparer.Ordinal);
            List<string> Tokens(DataRow row) => [.. textColumns.SelectMany(c => row.Values[c.Index] is { } t ? Words().Matches(t.ToLowerInvariant()).Select(m => m.Value) : []).Where(w => !excludedWords.Contains(w))];
            foreach (var row in labelled)
            {
                var k = classIndex[row.Values[labelColumn]!];
                foreach (var w in Tokens(row))
                {
                    counts[k][w] = counts[k].GetValueOrDefault(w) + 1;
                    totals[k]++;
                    vocabulary.Add(w);
                }
            }

            for (var r = 0; r < rows.Count; r++)
            {
                foreach (var w in Tokens(labelled[rows[r]]))
                {
                    for (var k = 0; k < classes.Length; k++)
                    {
                        scores[r, k] += Math.Log((counts[k].GetValueOrDefault(w) + 1.0) / (totals[k] + vocabulary.Count));
                    }
                }
            }
        }

        if (numeric.Length == 0 && textColumns.Count == 0)
        {
            return 1; // nothing else to judge the rows by: keep the candidate
        }

        var target = classIndex[label];
        var elsewhere = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            var best = 0;
            for (var k = 1; k < classes.Length; k++)
            {
                best = scores[r, k] > scores[r, best] ? k : best;
            }

            elsewhere += best != target ? 1 : 0;
        }

        return elsewhere / (double)rows.Count;
    }

    private static double Jaccard(HashSet<int> a, List<int> b)
    {
        var inter = b.Count(a.Contains);
        return inter / (double)(a.Count + b.Count - inter);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static string Number(double d) => d.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"[\p{L}\p{N}_']{2,40}")]
    private static partial Regex Words();
}
