namespace Rampart.Scanning.Engine;

/// <summary>
/// File names that promise a model or serialized object. When such a file matches no analyzer it is reported
/// Inconclusive (fail closed) rather than skipped like a README or an image.
/// </summary>
public static class ModelFileNames
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".p", ".joblib", ".jbl", ".dill", ".sav", ".npy", ".npz",
        ".model", ".mar", ".pb", ".h5", ".hdf5", ".keras", ".onnx", ".safetensors", ".gguf", ".ggml", ".tflite",
        ".msgpack", ".nemo", ".llamafile", ".mlmodel", ".pdparams", ".ptl", ".torchscript", ".cloudpickle",
        ".gz", ".bz2", ".xz", ".lzma", ".zlib", ".z", ".zip", ".tar", ".tgz",
    };

    public static bool LooksLikeModel(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var extension = Path.GetExtension(name);
        return extension.Length > 0 && Extensions.Contains(extension);
    }
}
