using Rampart.Core.Reporting;
using Rampart.Dependencies;
using Rampart.Scanning;
using Rampart.Scanning.Engine;

namespace Rampart.Provenance.Tests.Bom;

/// <summary>
/// Stands in for the format analyzers other rooms are writing: a file whose first line is "FACTS &lt;id&gt;" is
/// claimed by the analyzer with that id, which reports every later "key=value" line as a fact (the engine prefixes
/// it with the id, as it will for the real analyzers).
/// </summary>
internal sealed class FactEmittingAnalyzer(string id) : IArtifactAnalyzer
{
    public string Id => id;

    public bool CanAnalyze(Artifact artifact) => artifact.Head.Span.StartsWith(System.Text.Encoding.ASCII.GetBytes($"FACTS {id}\n"));

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        var result = new AnalysisResult(Id, artifact, context);
        var stream = await artifact.OpenAsync(cancellationToken);
        await using (stream)
        {
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(cancellationToken);
            foreach (var line in text.Split('\n').Skip(1).Where(l => l.Contains('=', StringComparison.Ordinal)))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                result.SetFact(line[..eq], line[(eq + 1)..]);
            }
        }

        return result;
    }
}

/// <summary>Emits huggingface.* facts for a folder holding config.json (as the Hugging Face folder analyzer will).</summary>
internal sealed class FakeHuggingFaceFolderAnalyzer : IFolderAnalyzer
{
    public string Id => "huggingface";

    public bool CanAnalyze(FolderView folder, AnalysisContext context) => folder.Files.Any(f => f.Name == "config.json");

    public ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        var result = new AnalysisResult(Id, folder, context);
        result.SetFact("architectures", "LlamaForCausalLM");
        result.SetFact("model_type", "llama");
        result.SetFact("torch_dtype", "bfloat16");
        return ValueTask.FromResult(result);
    }
}

/// <summary>A fixed package list standing in for the Dependencies room's inventory.</summary>
internal sealed class FixedInventory(params PackageRecord[] packages) : IDependencyInventory
{
    public ValueTask<DependencyInventoryResult> CollectAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new DependencyInventoryResult(packages, ["requirements-bad.txt: line 3 is not a requirement"]));
}

internal static class TestScanners
{
    public static Scanner WithFacts() => new(
        [new FactEmittingAnalyzer("safetensors"), new FactEmittingAnalyzer("gguf"), new FactEmittingAnalyzer("onnx")],
        AnalyzerRegistry.Rules,
        RampartTool.Info)
    {
        FolderAnalyzers = [new FakeHuggingFaceFolderAnalyzer()],
    };

    public static ToolInfo Tool => RampartTool.Info;
}
