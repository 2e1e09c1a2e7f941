namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the TFLite analyzer's rules (RAMP-TFLITE-*), written by <see cref="TfLiteBuilder"/>.</summary>
public sealed class TfLiteFixtures : IFixtureSource
{
    /// <summary>A small classifier: CONV_2D (3), FULLY_CONNECTED (9), SOFTMAX (25), with one weights buffer.</summary>
    public static TfLiteBuilder Benign() => new TfLiteBuilder()
        .Builtin(3).Builtin(9).Builtin(25)
        .Operator(0).Operator(1).Operator(2)
        .Buffer(64);

    public IEnumerable<Fixture> Fixtures =>
    [
        new("tflite/benign", "model.tflite", () => Benign().Build()),
        new("tflite/custom-op", "model.tflite", () => Benign().Custom("MyVendorDecoder").Operator(3).Operator(3).Build()),
        new("tflite/flex-op", "model.tflite", () => Benign().Custom("FlexReadFile").Operator(3).Build()),
        new("tflite/buffer-outside", "model.tflite", () => Benign().Buffer(0, offset: 1_000_000, size: 4096).Build()),
    ];
}
