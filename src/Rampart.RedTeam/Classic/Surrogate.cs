#if !RAMPART_AOT
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
#endif

namespace Rampart.RedTeam.Classic;

/// <summary>The family of a locally trained model.</summary>
public enum SurrogateKind
{
    /// <summary>Multinomial logistic regression (L-BFGS): the extraction surrogate.</summary>
    Linear,

    /// <summary>Boosted trees, one-versus-all, grown to overfit: the membership shadow model.</summary>
    Trees,
}

/// <summary>
/// A model trained here with ML.NET on (row, label) pairs: the surrogate of an extraction attack or the shadow model of a
/// membership attack. Labels are class indices; scores come back indexed by class (classes never seen in training score 0).
/// The NativeAOT build has no ML.NET (not trim/AOT-safe): there <see cref="NotInThisBuild"/> says so, and the attacks
/// that need a surrogate answer inconclusive with that reason instead of training one.
/// </summary>
public sealed class Surrogate
{
#if RAMPART_AOT
    /// <summary>Why no surrogate can be trained in this build.</summary>
    public static string? NotInThisBuild => "the surrogate and shadow models need ML.NET, which the NativeAOT build leaves out; use the dotnet tool or the ReadyToRun build (docs/install.md)";

    private Surrogate()
    {
    }

    /// <summary>Not in this build: callers check <see cref="NotInThisBuild"/> first.</summary>
    public static Surrogate Train(IReadOnlyList<double[]> rows, IReadOnlyList<int> labels, SurrogateKind kind, int seed) =>
        throw new PlatformNotSupportedException(NotInThisBuild);

    /// <summary>Not in this build.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The same instance method as in the ML.NET build.")]
    public IReadOnlyList<double[]> Scores(IReadOnlyList<double[]> rows) => throw new PlatformNotSupportedException(NotInThisBuild);

    /// <summary>Not in this build.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "The same instance method as in the ML.NET build.")]
    public IReadOnlyList<int> Predict(IReadOnlyList<double[]> rows) => throw new PlatformNotSupportedException(NotInThisBuild);
#else
    /// <summary>Null: this build trains surrogates (the NativeAOT build says why it cannot).</summary>
    public static string? NotInThisBuild => null;

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly int[] _classes;
    private readonly int _width;

    private Surrogate(MLContext ml, ITransformer model, int[] classes, int width)
    {
        _ml = ml;
        _model = model;
        _classes = classes;
        _width = width;
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class Output
    {
        public float[] Score { get; set; } = [];
    }

    /// <summary>Trains a model; with one class only it answers that class for everything.</summary>
    public static Surrogate Train(IReadOnlyList<double[]> rows, IReadOnlyList<int> labels, SurrogateKind kind, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        var width = rows[0].Length;
        var ml = new MLContext(seed);
        var classes = labels.Distinct().Order().ToArray();
        var data = ml.Data.LoadFromEnumerable(rows.Select((r, i) => new Row { Features = ToFloats(r), Label = labels[i] }), Schema(width));
        if (classes.Length < 2)
        {
            return new Surrogate(ml, null!, classes, width);
        }

        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.NormalizeMeanVariance("Features"));
        IEstimator<ITransformer> trainer = kind == SurrogateKind.Linear
            ? ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l1Regularization: 0, l2Regularization: 0.01f, historySize: 20)
            : ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(
                numberOfLeaves: 32, numberOfTrees: 100, minimumExampleCountPerLeaf: 1, learningRate: 0.2));
        return new Surrogate(ml, pipeline.Append(trainer).Fit(data), classes, width);
    }

    /// <summary>Scores per class index for every row.</summary>
    public IReadOnlyList<double[]> Scores(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var k = _classes.Length == 0 ? 1 : _classes.Max() + 1;
        if (_classes.Length < 2)
        {
            return [.. rows.Select(_ => Enumerable.Range(0, k).Select(c => c == _classes.FirstOrDefault() ? 1.0 : 0.0).ToArray())];
        }

        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Features = ToFloats(r) }), Schema(_width));
        var outputs = _ml.Data.CreateEnumerable<Output>(_model.Transform(data), reuseRowObject: false).ToList();
        return [.. outputs.Select(o =>
        {
            var scores = new double[k];
            var sum = o.Score.Sum(s => Math.Max(0, (double)s));
            for (var i = 0; i < o.Score.Length && i < _classes.Length; i++)
            {
                scores[_classes[i]] = sum > 0 ? Math.Max(0, o.Score[i]) / sum : 1.0 / _classes.Length;
            }

            return scores;
        })];
    }

    /// <summary>The predicted class of every row.</summary>
    public IReadOnlyList<int> Predict(IReadOnlyList<double[]> rows) =>
        [.. Scores(rows).Select(s => Array.IndexOf(s, s.Max()))];

    private static float[] ToFloats(double[] row) => [.. row.Select(v => (float)v)];

    private static SchemaDefinition Schema(int width)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }
#endif
}
