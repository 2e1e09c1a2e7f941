using System.Text.Json.Nodes;

namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the Keras analyzers' rules (RAMP-KERAS-*): configurations and .keras archives built in code.</summary>
public sealed class KerasFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        new("keras/dense-config", "config.json", () => new KerasConfigBuilder().Dense("d1").Dense("d2").Build()),
        new("keras/dense-archive", "model.keras", () => new KerasConfigBuilder().Keras3().Dense().BuildKerasArchive(Hdf5Vector("keras2_dense.h5"))),
        new("keras/lambda-benign", "config.json", () => new KerasConfigBuilder().Dense().Lambda(KerasConfigBuilder.DoubleLambdaCode).Build()),
        new("keras/lambda-marker", "config.json", () => new KerasConfigBuilder().Dense().Lambda(KerasConfigBuilder.MarkerLambdaCode).Build()),
        new("keras/nested-lambda-marker", "config.json", () => new KerasConfigBuilder().Dense().NestedLambda(KerasConfigBuilder.MarkerLambdaCode).Build()),
        new("keras/keras3-lambda-archive", "lambda.keras", () => new KerasConfigBuilder().Keras3().Dense().Lambda(KerasConfigBuilder.MarkerLambdaCode).BuildKerasArchive(Hdf5Vector("keras2_dense.h5"))),
        new("keras/custom-object", "config.json", () => new KerasConfigBuilder().Keras3().Dense().CustomLayer("my_package.layers", "Attention").Build()),
        new("keras/tfop-write-file", "config.json", () => new KerasConfigBuilder().Dense().TfOpLambda("io.write_file").Build()),
        new("keras/tfop-add", "config.json", () => new KerasConfigBuilder().Dense().TfOpLambda("math.add").Build()),
        new("hdf5/keras2-dense", "model.h5", () => Hdf5Vector("keras2_dense.h5")),
        new("hdf5/keras2-lambda-marker", "model.h5", () => Hdf5Vector("keras2_lambda_marker.h5")),
        new("keras/function-os-system", "config.json", () => new KerasConfigBuilder().Keras3().Layer(new JsonObject
        {
            ["module"] = "keras.layers",
            ["class_name"] = "Activation",
            ["config"] = new JsonObject
            {
                ["name"] = "act",
                ["activation"] = new JsonObject { ["module"] = "os", ["class_name"] = "function", ["config"] = "system", ["registered_name"] = "function" },
            },
            ["registered_name"] = null,
        }).Build()),
    ];

    /// <summary>A committed HDF5 vector written by h5py (recipe: tests/fixtures/README.md).</summary>
    public static byte[] Hdf5Vector(string name) =>
        File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "Rampart.Scanning.Tests", "Analyzers", "Hdf5", "Vectors", name));
}
