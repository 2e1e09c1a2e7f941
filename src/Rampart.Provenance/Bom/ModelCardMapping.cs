using System.Collections.Immutable;

namespace Rampart.Provenance.Bom;

/// <summary>
/// Which scan facts (analyzer id + "." + name) fill which parts of a CycloneDX model card. The first fact present in
/// each row wins; absent facts leave the field out. Adding a format means adding rows here, nothing else.
/// </summary>
internal static class ModelCardMapping
{
    /// <summary>Analyzer ids whose artifacts are models (the component type machine-learning-model).</summary>
    public static readonly ImmutableHashSet<string> ModelFormats = ImmutableHashSet.Create(StringComparer.Ordinal,
        "pytorch", "safetensors", "gguf", "onnx", "keras", "keras-config", "tensorflow", "joblib", "pickle", "dill", "hdf5", "huggingface");

    /// <summary>modelCard.modelParameters.modelArchitecture.</summary>
    public static readonly ImmutableArray<string> Architecture =
        ["huggingface.architectures", "gguf.architecture", "keras-config.class_name", "keras.class_name", "onnx.producer"];

    /// <summary>modelCard.modelParameters.architectureFamily.</summary>
    public static readonly ImmutableArray<string> Family = ["huggingface.model_type", "gguf.architecture"];

    /// <summary>The component name, when the file says it.</summary>
    public static readonly ImmutableArray<string> Name = ["gguf.name", "safetensors.metadata.name"];

    /// <summary>modelCard.properties: (property name, facts in order of preference).</summary>
    public static readonly ImmutableArray<(string Property, ImmutableArray<string> Facts)> CardProperties =
    [
        ("rampart:parameterCount", ["safetensors.parameters", "gguf.parameters", "onnx.parameters", "pytorch.parameters", "keras-config.parameters"]),
        ("rampart:tensorCount", ["safetensors.tensors", "gguf.tensors", "pytorch.tensors"]),
        ("rampart:tensorDtypes", ["safetensors.dtypes", "gguf.dtypes", "onnx.dtypes", "pytorch.dtypes", "huggingface.torch_dtype"]),
        ("rampart:quantization", ["gguf.quantization"]),
        ("rampart:contextLength", ["gguf.context_length"]),
        ("rampart:fileFormatVersion", ["gguf.version", "safetensors.format", "onnx.ir_version", "keras-config.version"]),
        ("rampart:onnxOpset", ["onnx.opset"]),
        ("rampart:onnxProducer", ["onnx.producer"]),
        ("rampart:layers", ["keras-config.layers", "onnx.nodes"]),
        ("rampart:framework", ["keras-config.backend"]),
        ("rampart:transformersVersion", ["huggingface.transformers_version"]),
    ];

    /// <summary>Fact prefixes copied one by one into modelCard.properties as "rampart:metadata:&lt;key&gt;".</summary>
    public static readonly ImmutableArray<string> MetadataPrefixes = ["safetensors.metadata.", "gguf.metadata."];

    /// <summary>The first of <paramref name="keys"/> present in <paramref name="facts"/>.</summary>
    public static string? First(IReadOnlyDictionary<string, string> facts, IEnumerable<string> keys) =>
        keys.Select(k => facts.TryGetValue(k, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null).FirstOrDefault(v => v is not null);
}
