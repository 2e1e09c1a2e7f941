namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the MLflow model-folder analyzer (RAMP-MLF-*): folders written by <see cref="MLflowModelBuilder"/>.</summary>
public sealed class MLflowFixtures : IFixtureSource
{
    /// <summary>A harmless stand-in for a fitted estimator: a pickle that builds a collections.OrderedDict.</summary>
    public static byte[] EstimatorPickle() =>
        new PickleBuilder().Proto(4).Global("collections", "OrderedDict").EmptyTuple().Reduce().Stop().ToArray();

    public IEnumerable<Fixture> Fixtures =>
    [
        Folder("mlflow/sklearn-cloudpickle", new MLflowModelBuilder().Sklearn(EstimatorPickle())),
        Folder("mlflow/custom-pyfunc", new MLflowModelBuilder().CustomPyfunc(EstimatorPickle())),
        Folder("mlflow/custom-loader", new MLflowModelBuilder().CustomLoader("my_loader", "def _load_pyfunc(path):\n    return None\n")),
        Folder("mlflow/missing-file", new MLflowModelBuilder().Sklearn(EstimatorPickle()).Without("model.pkl")),
        Folder("mlflow/onnx", new MLflowModelBuilder().Onnx(OnnxFixtures.Relu().Build())),
    ];

    private static Fixture Folder(string id, MLflowModelBuilder builder) => new(id, "model", () => []) { Custom = directory => builder.Write(directory) };
}
