using System.Collections.Immutable;
using Rampart.Core.Rules;
using Rampart.Scanning.Engine;

namespace Rampart.Scanning;

/// <summary>
/// The one place where analyzers are registered: one line each. Order matters only for the order of facts in the
/// report; every analyzer whose content check passes runs.
/// </summary>
public static class AnalyzerRegistry
{
    private static readonly Lazy<RuleCatalog> LazyRules = new(() => RuleCatalog.FromAssemblies(typeof(AnalyzerRegistry).Assembly));

    /// <summary>Every rule shipped in this assembly's rules/*.json.</summary>
    public static RuleCatalog Rules => LazyRules.Value;

    public static ImmutableArray<IArtifactAnalyzer> CreateAll() =>
    [
        new Analyzers.Pickle.PickleAnalyzer(),
        new Analyzers.Archives.ZipAnalyzer(),
        new Analyzers.Archives.TarAnalyzer(),
        new Analyzers.Numpy.NumpyAnalyzer(),
        new Analyzers.PyTorch.PyTorchAnalyzer(),
        new Analyzers.Compressed.CompressedAnalyzer(),
        new Analyzers.Onnx.OnnxAnalyzer(),
        new Analyzers.TensorFlow.SavedModelAnalyzer(),
        new Analyzers.TensorFlow.KerasMetadataAnalyzer(),
        new Analyzers.TensorFlow.FingerprintAnalyzer(),
        new Analyzers.TfLite.TfLiteAnalyzer(),
        new Analyzers.PythonSource.PythonSourceAnalyzer(),
        new Analyzers.Notebook.NotebookAnalyzer(),
        new Analyzers.PythonSource.StreamlitConfigAnalyzer(),
        new Analyzers.Dependencies.ManifestAnalyzer(),
        new Analyzers.Keras.KerasConfigAnalyzer(),
        new Analyzers.Keras.KerasArchiveAnalyzer(),
        new Analyzers.Hdf5.Hdf5Analyzer(),
        new Analyzers.HuggingFace.LfsPointerAnalyzer(),
        new Analyzers.TorchScript.TorchScriptCodeAnalyzer(),
        new Analyzers.Safetensors.SafetensorsAnalyzer(),
        new Analyzers.Gguf.GgufAnalyzer(),
        new Analyzers.ChatTemplate.ChatTemplateFileAnalyzer(),
    ];

    /// <summary>Analyzers that judge a folder as a whole (model repositories, environments, signed folders): one line each.</summary>
    public static ImmutableArray<IFolderAnalyzer> CreateFolderAnalyzers() =>
    [
        new Analyzers.Signatures.SignatureFolderAnalyzer(),
        new Analyzers.Dependencies.EnvironmentAnalyzer(),
        new Analyzers.HuggingFace.HuggingFaceFolderAnalyzer(),
        new Analyzers.HuggingFace.HubCacheAnalyzer(),
        new Analyzers.MLflow.MLflowModelAnalyzer(),
    ];
}
