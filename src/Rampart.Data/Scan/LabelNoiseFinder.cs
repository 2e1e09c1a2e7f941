using System.Globalization;
#if !RAMPART_AOT
using Microsoft.ML;
using Microsoft.ML.Data;
#endif
using Rampart.Data.Reading;

namespace Rampart.Data.Scan;

/// <summary>A row whose given label the cross-validated model confidently disagrees with.</summary>
/// <param name="Row">1-based data row.</param>
/// <param name="Line">Its line.</param>
/// <param name="Given">The label in the data.</param>
/// <param name="Likely">The label the model is confident about instead.</param>
/// <param name="SelfConfidence">The out-of-fold probability of the given label (lower is more suspicious).</param>
/// <param name="LikelyConfidence">The out-of-fold probability of the likely label.</param>
public sealed record LabelIssue(long Row, long Line, string Given, string Likely, double SelfConfidence, double LikelyConfidence);

/// <summary>The label-noise finder's result: candidates (most suspicious first), the model's out-of-fold accuracy, or why it did not run.</summary>
public sealed record LabelNoiseResult(IReadOnlyList<LabelIssue> Issues, int Examples, int Classes, double OutOfFoldAccuracy, string? Skipped);

/// <summary>
/// Label-noise candidates by confident learning (Northcutt et al., the method of cleanlab's find_label_issues with
/// filter_by="confident_learning"): out-of-fold class probabilities from K-fold cross-validation of an ML.NET
/// maximum-entropy classifier (numeric columns min-max normalised, text columns featurised as n-grams); per class j a
/// threshold t_j, the mean probability of j over the rows labelled j; a row labelled i is counted in the confident
/// joint at (i, j) for the j with the highest probability among those at or above their threshold; rows off the
/// diagonal are the candidates, ranked by the probability of their given label (self-confidence), lowest first.
/// The NativeAOT build has no ML.NET (not trim/AOT-safe): there the finder checks its input as usual and then answers
/// <see cref="NotInThisBuild"/> as the reason it was skipped, which the scan reports as a warning.
/// </summary>
public static class LabelNoiseFinder
{
    /// <summary>Why the NativeAOT build skips the finder (its reason for not running there).</summary>
    public const string NotInThisBuild = "the label-noise model needs ML.NET, which the NativeAOT build leaves out; use the dotnet tool or the ReadyToRun build (docs/install.md)";

    public static LabelNoiseResult Find(IReadOnlyList<DataRow> rows, int labelColumn, IReadOnlyList<int> numericColumns, IReadOnlyList<int> textColumns, int folds, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(numericColumns);
        ArgumentNullException.ThrowIfNull(textColumns);
        var labelled = rows.Where(r => !string.IsNullOrEmpty(r.Values[labelColumn])).ToList();
        var classes = labelled.GroupBy(r => r.Values[labelColumn]!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (numericColumns.Count == 0 && textColumns.Count == 0)
        {
            return new([], labelled.Count, classes.Count, double.NaN, "no numeric or text column to learn from");
        }

        if (classes.Count < 2 || classes.Count > 200)
        {
            return new([], labelled.Count, classes.Count, double.NaN, $"the label column has {classes.Count} classes (2 to 200 are needed)");
        }

        if (labelled.Count < 10 * folds || classes.Values.Min() < folds)
        {
            return new([], labelled.Count, classes.Count, double.NaN, $"too few labelled rows ({labelled.Count}; every class needs at least {folds})");
        }

#if RAMPART_AOT
        cancellationToken.ThrowIfCancellationRequested();
        _ = seed;
        return new([], labelled.Count, classes.Count, double.NaN, NotInThisBuild);
    }
#else
        var width = Math.Max(1, numericColumns.Count);
        var examples = labelled.Select((r, i) => new Example
        {
            RowId = i,
            Label = r.Values[labelColumn]!,
            Text = string.Join(" ", textColumns.Select(c => r.Values[c] ?? string.Empty)),
            Features = numericColumns.Count == 0 ? [0f] : [.. numericColumns.Select(c => r.Values[c] is { } v && ColumnStats.TryNumber(v, out var d) ? (float)d : 0f)],
        }).ToList();

        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        var raw = ml.Data.LoadFromEnumerable(examples, schema);
        var keyed = ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(Example.Label)).Fit(raw).Transform(raw);
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        keyed.Schema["LabelKey"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(v => v.ToString()).ToArray();

        IEstimator<ITransformer> pipeline;
        var features = nameof(Example.Features);
        if (textColumns.Count > 0)
        {
            var text = ml.Transforms.Text.FeaturizeText("TextFeatures", nameof(Example.Text));
            pipeline = numericColumns.Count > 0
                ? text.Append(ml.Transforms.Concatenate("All", nameof(Example.Features), "TextFeatures"))
                : text.Append(ml.Transforms.CopyColumns("All", "TextFeatures"));
            features = "All";
            pipeline = pipeline.Append(ml.Transforms.NormalizeMinMax(features));
        }
        else
        {
            pipeline = ml.Transforms.NormalizeMinMax(features);
        }

        var estimator = pipeline.Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", features));
        cancellationToken.ThrowIfCancellationRequested();
        var results = ml.MulticlassClassification.CrossValidate(keyed, estimator, folds, "LabelKey", seed: seed);
        var probabilities = new float[examples.Count][];
        var given = new int[examples.Count];
        foreach (var fold in results)
        {
            foreach (var s in ml.Data.CreateEnumerable<Scored>(fold.ScoredHoldOutSet, reuseRowObject: false))
            {
                probabilities[s.RowId] = s.Score;
                given[s.RowId] = (int)s.LabelKey - 1;
            }
        }

        var k = names.Length;
        var thresholds = new double[k];
        var counts = new int[k];
        var correct = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            if (probabilities[i] is not { } p)
            {
                continue;
            }

            thresholds[given[i]] += p[given[i]];
            counts[given[i]]++;
            correct += ArgMax(p) == given[i] ? 1 : 0;
        }

        for (var j = 0; j < k; j++)
        {
            thresholds[j] = counts[j] == 0 ? 1 : thresholds[j] / counts[j];
        }

        var issues = new List<LabelIssue>();
        for (var i = 0; i < examples.Count; i++)
        {
            if (probabilities[i] is not { } p)
            {
                continue;
            }

            var best = -1;
            for (var j = 0; j < k; j++)
            {
                if (p[j] >= thresholds[j] && (best < 0 || p[j] > p[best]))
                {
                    best = j;
                }
            }

            if (best >= 0 && best != given[i])
            {
                var row = labelled[i];
                issues.Add(new LabelIssue(row.Index + 1, row.Line, names[given[i]], names[best], Math.Round(p[given[i]], 4), Math.Round(p[best], 4)));
            }
        }

        var scored = probabilities.Count(p => p is not null);
        return new([.. issues.OrderBy(x => x.SelfConfidence).ThenBy(x => x.Row)], scored, k, scored == 0 ? double.NaN : correct / (double)scored, null);
    }

    private static int ArgMax(float[] p)
    {
        var best = 0;
        for (var j = 1; j < p.Length; j++)
        {
            best = p[j] > p[best] ? j : best;
        }

        return best;
    }

    private sealed class Example
    {
        public int RowId { get; set; }

        public string Label { get; set; } = string.Empty;

        public string Text { get; set; } = string.Empty;

        public float[] Features { get; set; } = [];
    }

    private sealed class Scored
    {
        public int RowId { get; set; }

        public uint LabelKey { get; set; }

        public float[] Score { get; set; } = [];
    }
#endif

    internal static string Describe(LabelIssue issue) => string.Create(CultureInfo.InvariantCulture, $"row {issue.Row}: '{issue.Given}' -> '{issue.Likely}' (p={issue.SelfConfidence:0.###})");
}
