namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the safetensors analyzer's rules (RAMP-ST-*).</summary>
public sealed class SafetensorsFixtures : IFixtureSource
{
    /// <summary>A small valid file as safetensors.torch.save_file writes it: two tensors and format=pt.</summary>
    public static byte[] Valid() => new SafetensorsBuilder()
        .Metadata("format", "pt")
        .Tensor("linear.weight", "F32", [4, 3])
        .Tensor("linear.bias", "F16", [4])
        .Build();

    public IEnumerable<Fixture> Fixtures =>
    [
        new("safetensors/valid", "model.safetensors", Valid),
        new("safetensors/trailing-pickle", "model.safetensors", () => new SafetensorsBuilder()
            .Metadata("format", "pt")
            .Tensor("w", "F32", [2, 2])
            .Trailing(PickleBuilder.CallPickle("os", "system", "touch /tmp/rampart-marker"))
            .Build()),
        new("safetensors/gap", "model.safetensors", () => new SafetensorsBuilder()
            .Tensor("a", "F32", [2])
            .Tensor("b", "F32", [2], begin: 16, end: 24)
            .Build()),
        new("safetensors/duplicate-keys", "model.safetensors", () => new SafetensorsBuilder()
            .RawHeader("{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}")
            .Trailing([1, 2])
            .Build()),
        new("safetensors/newline-padding", "model.safetensors", () => new SafetensorsBuilder()
            .Tensor("w", "U8", [3])
            .PadWith((byte)'\n')
            .Build()),
    ];
}
