namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the ONNX analyzer's rules (RAMP-ONNX-*), written by <see cref="OnnxBuilder"/>.</summary>
public sealed class OnnxFixtures : IFixtureSource
{
    /// <summary>A one-node Relu model with a 2×3 float initializer: what a tiny exported model looks like.</summary>
    public static OnnxBuilder Relu() => new OnnxBuilder()
        .Node("Relu", "relu_0", ["x"], ["y"])
        .Initializer("w", [2, 3]);

    public IEnumerable<Fixture> Fixtures =>
    [
        new("onnx/relu", "model.onnx", () => Relu().Build()),
        new("onnx/external-absolute", "model.onnx", () => Relu().ExternalInitializer("w_ext", [4], "/etc/passwd").Build()),
        new("onnx/external-traversal", "model.onnx", () => Relu().ExternalInitializer("w_ext", [4], "../../secrets/key.bin").Build()),
        new("onnx/external-missing", "model.onnx", () => Relu().ExternalInitializer("w_ext", [4], "weights.bin").Build()),
        new("onnx/external-ok", "model.onnx", () => Relu().ExternalInitializer("w_ext", [4], "weights.bin", 0, 16).Build())
        {
            Custom = dir => WriteWithData(dir, Relu().ExternalInitializer("w_ext", [4], "weights.bin", 0, 16).Build(), 16),
        },
        new("onnx/external-short", "model.onnx", () => Relu().ExternalInitializer("w_ext", [4], "weights.bin", 8, 16).Build())
        {
            Custom = dir => WriteWithData(dir, Relu().ExternalInitializer("w_ext", [4], "weights.bin", 8, 16).Build(), 16),
        },
        new("onnx/custom-domain", "model.onnx", () => Relu().Opset("com.example.ops", 1).Node("Backdoor", "bd_0", ["y"], ["z"], "com.example.ops").Build()),
        new("onnx/local-function", "model.onnx", () => Relu().Opset("local.fn", 1).Function("local.fn", "MyRelu").Node("MyRelu", "fn_0", ["y"], ["z"], "local.fn").Build()),
        new("onnx/raw-size-mismatch", "model.onnx", () => Relu().Initializer("hidden", [2], rawBytes: 4096).Build()),
        new("onnx/function-shadow", "model.onnx", () => Relu().Function("", "Relu", "Neg").Build()),
    ];

    private static string WriteWithData(string dir, byte[] model, int dataBytes)
    {
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), new byte[dataBytes]);
        var path = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(path, model);
        return path;
    }
}
