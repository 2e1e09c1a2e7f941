namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the Hugging Face folder and LFS pointer analyzers (RAMP-HF-*): repository folders written by <see cref="HuggingFaceRepoBuilder"/>.</summary>
public sealed class HuggingFaceFixtures : IFixtureSource
{
    public IEnumerable<Fixture> Fixtures =>
    [
        Repo("hf/plain-repo", new HuggingFaceRepoBuilder().Config().Safetensors().GitAttributes().File("tokenizer_config.json", """{"model_max_length": 512}""")),
        Repo("hf/remote-code", new HuggingFaceRepoBuilder()
            .Config("""{"AutoConfig": "configuration_tiny.TinyConfig", "AutoModel": "modeling_tiny.TinyModel"}""", "tiny", "TinyModel")
            .File("configuration_tiny.py", "class TinyConfig:\n    pass\n")
            .File("modeling_tiny.py", "class TinyModel:\n    pass\n")
            .Safetensors()),
        Repo("hf/remote-code-other-repo", new HuggingFaceRepoBuilder()
            .Config("""{"AutoModel": "someone/shared-code--modeling_shared.SharedModel"}""", "shared", "SharedModel")
            .Safetensors()),
        Repo("hf/mixed-weights", new HuggingFaceRepoBuilder().Config().Safetensors().File("pytorch_model.bin", PyTorchFixtures.StateDict("pytorch_model"))),
        Repo("hf/bin-only", new HuggingFaceRepoBuilder().Config().File("pytorch_model.bin", PyTorchFixtures.StateDict("pytorch_model"))),
        Repo("hf/stray-named-bin", new HuggingFaceRepoBuilder().Config().Safetensors().File("notes.bin", "just some text, not a pickle")),
        new("hf/lfs-pointer", "model.safetensors", () => System.Text.Encoding.UTF8.GetBytes(HuggingFaceRepoBuilder.LfsPointer())),
        new("hf/small-text-file", "model.txt", () => "version 1 of the model card\n"u8.ToArray()),
    ];

    private static Fixture Repo(string id, HuggingFaceRepoBuilder builder) => new(id, "repo", () => []) { Custom = directory => builder.Write(directory) };
}
