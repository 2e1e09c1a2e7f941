using System.Text.Json.Nodes;
using Rampart.Dependencies;
using Rampart.Provenance.Bom;
using Rampart.Scanning.Engine;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Bom;

/// <summary>
/// The AI-BOM over real model files with the real analyzers and the real dependency inventory: the model cards
/// carry what the safetensors and GGUF headers say, requirements become libraries with purls, and the result is
/// valid CycloneDX 1.6.
/// </summary>
public sealed class AiBomEndToEndTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string ModelRepository()
    {
        var repo = Directory.CreateDirectory(_folder.File("repo")).FullName;
        File.WriteAllBytes(Path.Combine(repo, "model.safetensors"), new SafetensorsBuilder()
            .Metadata("format", "pt")
            .Tensor("embed.weight", "BF16", [8, 4])
            .Tensor("lm_head.weight", "F32", [4, 8])
            .Build());
        File.WriteAllBytes(Path.Combine(repo, "model-q4.gguf"), new GgufBuilder().Llama("Tiny Chat", fileType: 15).F32("token_embd.weight", 4, 4).Build());
        File.WriteAllText(Path.Combine(repo, "config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"torch_dtype\": \"bfloat16\"}");
        File.WriteAllText(Path.Combine(repo, "requirements.txt"), "torch==2.3.1\ntransformers==4.46.0\nsafetensors>=0.4\n");
        return repo;
    }

    [Fact]
    public async Task Build_RealAnalyzersAndInventory_ModelCardsFromHeadersAndLibrariesWithPurls()
    {
        var bom = await new AiBomBuilder(Scanner.CreateDefault(), new DependencyInventory()).BuildAsync(ModelRepository(), null);

        var models = Components(bom, "machine-learning-model");
        var safetensors = models.Single(m => m["name"]!.GetValue<string>() == "model.safetensors");
        CardProperty(safetensors["modelCard"]!, "rampart:parameterCount").Should().Be("64", "8x4 + 4x8 parameters, read from the header");
        CardProperty(safetensors["modelCard"]!, "rampart:tensorDtypes").Should().Be("BF16,F32");
        var gguf = models.Single(m => m["name"]!.GetValue<string>() == "Tiny Chat");
        CardProperty(gguf["modelCard"]!, "rampart:quantization").Should().Be("MOSTLY_Q4_K_M");
        CardProperty(gguf["modelCard"]!, "rampart:contextLength").Should().Be("4096");
        gguf["modelCard"]!["modelParameters"]!["modelArchitecture"]!.GetValue<string>().Should().Be("LlamaForCausalLM");

        Components(bom, "library").Select(l => l["purl"]!.GetValue<string>())
            .Should().BeEquivalentTo("pkg:pypi/torch@2.3.1", "pkg:pypi/transformers@4.46.0", "pkg:pypi/safetensors");
    }

    [CycloneDxFact]
    public async Task Build_RealAnalyzers_ValidatesAgainstCycloneDx16()
    {
        var bom = await new AiBomBuilder(Scanner.CreateDefault(), new DependencyInventory()).BuildAsync(ModelRepository(), null);
        var file = _folder.File("bom.json");
        await File.WriteAllTextAsync(file, bom.ToJsonString());

        CycloneDxValidator.Validate([file])[file].Valid.Should().BeTrue();
    }

    private static List<JsonNode> Components(JsonObject bom, string type) =>
        [.. bom["components"]!.AsArray().Where(c => c!["type"]!.GetValue<string>() == type).Select(c => c!)];

    private static string? CardProperty(JsonNode card, string name) =>
        card["properties"]?.AsArray().FirstOrDefault(p => p!["name"]!.GetValue<string>() == name)?["value"]?.GetValue<string>();
}
