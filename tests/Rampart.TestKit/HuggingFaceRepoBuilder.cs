using System.Text;

namespace Rampart.TestKit;

/// <summary>Writes a model repository folder the way a hub download leaves it: config.json, weights, code, .gitattributes.</summary>
public sealed class HuggingFaceRepoBuilder
{
    /// <summary>The .gitattributes the Hugging Face Hub puts in a new repository (an excerpt).</summary>
    public const string HubGitAttributes = "*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n";

    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public HuggingFaceRepoBuilder Config(string? autoMap = null, string modelType = "bert", string architecture = "BertModel")
    {
        var map = autoMap is null ? string.Empty : $", \"auto_map\": {autoMap}";
        return File("config.json", $$"""{"architectures": ["{{architecture}}"], "model_type": "{{modelType}}", "torch_dtype": "float32", "transformers_version": "4.40.0", "hidden_size": 8{{map}}}""");
    }

    public HuggingFaceRepoBuilder Safetensors(string name = "model.safetensors") => File(name, SafetensorsBytes());

    public HuggingFaceRepoBuilder File(string name, string text) => File(name, Encoding.UTF8.GetBytes(text));

    public HuggingFaceRepoBuilder File(string name, byte[] bytes)
    {
        _files[name] = bytes;
        return this;
    }

    public HuggingFaceRepoBuilder GitAttributes() => File(".gitattributes", HubGitAttributes);

    /// <summary>Writes the files below <paramref name="directory"/>/<paramref name="folder"/> and returns that folder.</summary>
    public string Write(string directory, string folder = "repo")
    {
        var root = Path.Combine(directory, folder);
        foreach (var (name, bytes) in _files)
        {
            var path = Path.Combine(root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllBytes(path, bytes);
        }

        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>A minimal valid safetensors file: one F32 tensor of two values.</summary>
    public static byte[] SafetensorsBytes()
    {
        var header = Encoding.UTF8.GetBytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""");
        var padded = header.Length + ((8 - (header.Length % 8)) % 8);
        var bytes = new byte[8 + padded + 8];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        return bytes;
    }

    /// <summary>A Git LFS pointer as a clone without git-lfs leaves it.</summary>
    public static string LfsPointer(long size = 437_987_321) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2f0c9a3b1e6f5d8c7b9a0e1f2d3c4b5a69788766554433221100ffeeddcc\nsize {size}\n";
}
