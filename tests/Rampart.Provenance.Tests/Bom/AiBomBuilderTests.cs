using System.Text.Json.Nodes;
using Rampart.Dependencies;
using Rampart.Provenance.Bom;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;
using Rampart.TestKit;

namespace Rampart.Provenance.Tests.Bom;

public sealed class AiBomBuilderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string ModelFolder()
    {
        var models = Directory.CreateDirectory(_folder.File("model")).FullName;
        File.WriteAllText(Path.Combine(models, "model.safetensors"),
            "FACTS safetensors\ntensors=291\nparameters=6738415616\ndtypes=BF16\nformat=pt\nmetadata.name=tiny-llama\nmetadata.license=apache-2.0\n");
        File.WriteAllText(Path.Combine(models, "config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        File.WriteAllText(Path.Combine(models, "q4.gguf"),
            "FACTS gguf\nversion=3\ntensors=201\nparameters=1100048384\narchitecture=llama\nname=TinyLlama Chat\nquantization=Q4_K_M\ncontext_length=2048\ndtypes=Q4_K,F32\n");
        File.WriteAllText(Path.Combine(models, "README.md"), "just text");
        return models;
    }

    [Fact]
    public async Task Build_ModelFolder_MapsFactsIntoModelCards()
    {
        var bom = await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(ModelFolder(), null);

        var models = Components(bom, "machine-learning-model");
        models.Should().HaveCount(2);
        var gguf = models.Single(m => m["name"]!.GetValue<string>() == "TinyLlama Chat");
        gguf["hashes"]![0]!["alg"]!.GetValue<string>().Should().Be("SHA-256");
        gguf["hashes"]![0]!["content"]!.GetValue<string>().Should().Be(
            (await ArtifactDigest.OfFileAsync(Path.Combine(_folder.File("model"), "q4.gguf")))["sha256:".Length..]);
        var card = gguf["modelCard"]!;
        card["modelParameters"]!["modelArchitecture"]!.GetValue<string>().Should().Be("LlamaForCausalLM", "the folder's config.json names it");
        CardProperty(card, "rampart:quantization").Should().Be("Q4_K_M");
        CardProperty(card, "rampart:parameterCount").Should().Be("1100048384");
        CardProperty(card, "rampart:contextLength").Should().Be("2048");

        var safetensors = models.Single(m => m["name"]!.GetValue<string>() == "tiny-llama");
        CardProperty(safetensors["modelCard"]!, "rampart:tensorDtypes").Should().Be("BF16");
        CardProperty(safetensors["modelCard"]!, "rampart:metadata:license").Should().Be("apache-2.0");
        safetensors["modelCard"]!["modelParameters"]!["architectureFamily"]!.GetValue<string>().Should().Be("llama");
        Components(bom, "library").Should().BeEmpty();
    }

    [Fact]
    public async Task Build_NoFactsAtAll_StillListsModelsWithHashesOnly()
    {
        var models = Directory.CreateDirectory(_folder.File("bare")).FullName;
        File.WriteAllText(Path.Combine(models, "m.onnx"), "FACTS onnx\n");
        var bom = await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(models, null);
        var model = Components(bom, "machine-learning-model").Should().ContainSingle().Subject;
        model["name"]!.GetValue<string>().Should().Be("m.onnx");
        model["modelCard"]!["modelParameters"].Should().BeNull();
    }

    [Fact]
    public async Task Build_WithInventory_AddsLibrariesWithPurls()
    {
        var inventory = new FixedInventory(
            new PackageRecord("Torch", "torch", "2.3.1", "==2.3.1", "requirements.txt", "locked", ["sha256:" + new string('a', 64), "md5:abc"]),
            new PackageRecord("scikit_learn", "scikit-learn", null, ">=1.2", "pyproject.toml", "declared", []));
        var builder = new AiBomBuilder(TestScanners.WithFacts(), inventory);
        var bom = await builder.BuildAsync(ModelFolder(), null);
        var libraries = Components(bom, "library");
        libraries.Select(l => l["purl"]!.GetValue<string>()).Should().BeEquivalentTo("pkg:pypi/torch@2.3.1", "pkg:pypi/scikit-learn");
        libraries.Single(l => l["name"]!.GetValue<string>() == "torch")["hashes"]!.AsArray().Should().ContainSingle("the md5 is not a usable hash");
        builder.Warnings.Should().ContainSingle().Which.Should().Contain("requirements-bad.txt");
    }

    [Fact]
    public async Task Build_WithLedger_AddsDatasetsMetricsPedigreeAndFormulation()
    {
        var models = ModelFolder();
        var modelDigest = await ArtifactDigest.OfFileAsync(Path.Combine(models, "q4.gguf"));
        using var signer = LedgerSigner.Generate("ci");
        await using var ledger = await Ledger.InitializeAsync(_folder.File("ledger.db"), "test/ledger", signer);
        var data = LedgerTestKit.Digest("corpus");
        await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", "corpus").Set("manifest", data).Set("license", "CC-BY-4.0").Set("source", "s3://bucket/corpus").Build());
        await ledger.RecordTrainingRunAsync(new TrainingRun("run-7", modelDigest)
        {
            Datasets = [data],
            BaseModel = LedgerTestKit.Digest("base"),
            CodeCommit = "0123abc",
            Parameters = new Dictionary<string, string> { ["epochs"] = "3" },
            Metrics = new Dictionary<string, double> { ["loss"] = 1.25 },
        });
        await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Approval).Set("subject", modelDigest).Set("decision", "approved").Set("scope", "production").Build());

        var bom = await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(models, ledger);

        var dataComponent = Components(bom, "data").Should().ContainSingle().Subject;
        dataComponent["name"]!.GetValue<string>().Should().Be("corpus");
        var model = Components(bom, "machine-learning-model").Single(m => m["bom-ref"]!.GetValue<string>() == modelDigest);
        model["modelCard"]!["modelParameters"]!["datasets"]![0]!["ref"]!.GetValue<string>().Should().Be(data);
        model["modelCard"]!["quantitativeAnalysis"]!["performanceMetrics"]![0]!["type"]!.GetValue<string>().Should().Be("loss");
        model["pedigree"]!["ancestors"]![0]!["hashes"]![0]!["content"]!.GetValue<string>().Should().Be(LedgerTestKit.Digest("base")[7..]);
        model["properties"]!.AsArray().Should().Contain(p => p!["name"]!.GetValue<string>() == "rampart:ledger:approval");
        bom["formulation"]![0]!["bom-ref"]!.GetValue<string>().Should().Be("formula:run-7");
    }

    [CycloneDxFact]
    public async Task Build_EveryVariant_ValidatesAgainstTheCycloneDx16Schema()
    {
        var models = ModelFolder();
        var modelDigest = await ArtifactDigest.OfFileAsync(Path.Combine(models, "model.safetensors"));
        using var signer = LedgerSigner.Generate("ci");
        await using var ledger = await Ledger.InitializeAsync(_folder.File("ledger.db"), "test/ledger", signer);
        var data = LedgerTestKit.Digest("corpus");
        await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Dataset).Set("name", "corpus").Set("manifest", data).Set("license", "CC-BY-4.0").Set("pii-scan", "clean").Set("version", "2026-11").Build());
        await ledger.RecordTrainingRunAsync(new TrainingRun("run-1", modelDigest) { Datasets = [data], CodeCommit = "abc", Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9 } });
        await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Evaluation).Set("model", modelDigest).Set("metrics", "f1=0.8").Set("suite", "glue").Build());
        await ledger.AppendAsync(ProvenanceRecord.Create(RecordKinds.Revocation).Set("subject", modelDigest).Set("reason", "leaked").Build());
        var inventory = new FixedInventory(new PackageRecord("numpy", "numpy", "1.26.4", null, "uv.lock", "locked", ["sha256:" + new string('b', 64)]));

        var files = new List<string>();
        async Task Write(string name, JsonObject bom)
        {
            var file = _folder.File(name);
            await File.WriteAllTextAsync(file, bom.ToJsonString());
            files.Add(file);
        }

        await Write("plain.json", await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(models, null));
        await Write("full.json", await new AiBomBuilder(TestScanners.WithFacts(), inventory).BuildAsync(models, ledger));
        await Write("file.json", await new AiBomBuilder(TestScanners.WithFacts(), inventory).BuildAsync(Path.Combine(models, "q4.gguf"), ledger));
        await Write("empty.json", await new AiBomBuilder(TestScanners.WithFacts(), null).BuildAsync(Directory.CreateDirectory(_folder.File("empty")).FullName, ledger));

        var results = CycloneDxValidator.Validate(files);
        results.Values.Where(r => !r.Valid).Select(r => r.Line).Should().BeEmpty();
    }

    [CycloneDxFact]
    public void Harness_SpecSamples_ValidPassAndInvalidFail()
    {
        var samples = Directory.GetFiles(SharedData.Path("cyclonedx/samples-1.6"), "*.json").Order(StringComparer.Ordinal).ToList();
        samples.Should().Contain(s => Path.GetFileName(s).StartsWith("valid-", StringComparison.Ordinal))
            .And.Contain(s => Path.GetFileName(s).StartsWith("invalid-", StringComparison.Ordinal));
        var results = CycloneDxValidator.Validate(samples);
        foreach (var sample in samples)
        {
            var expected = Path.GetFileName(sample).StartsWith("valid-", StringComparison.Ordinal);
            results[sample].Valid.Should().Be(expected, results[sample].Line);
        }
    }

    private static List<JsonNode> Components(JsonObject bom, string type) =>
        [.. bom["components"]!.AsArray().Where(c => c!["type"]!.GetValue<string>() == type).Select(c => c!)];

    private static string? CardProperty(JsonNode card, string name) =>
        card["properties"]?.AsArray().FirstOrDefault(p => p!["name"]!.GetValue<string>() == name)?["value"]?.GetValue<string>();
}
