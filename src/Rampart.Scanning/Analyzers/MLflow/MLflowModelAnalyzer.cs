using System.Text;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rampart.Scanning.Analyzers.MLflow;

/// <summary>
/// An MLflow model folder (an <c>MLmodel</c> YAML file beside the serialized model, as <c>mlflow.*.save_model</c> and
/// <c>log_model</c> write it): reads the flavors and judges the path <c>mlflow.&lt;flavor&gt;.load_model</c> /
/// <c>mlflow.pyfunc.load_model</c> takes. A flavor whose loader unpickles a file (sklearn with pickle or cloudpickle,
/// a custom pyfunc's python_model, pytorch's whole-model torch.save, statsmodels, ...) is named with the file
/// (RAMP-MLF-001); a python_function loader_module outside MLflow means the model's own code runs at load
/// (RAMP-MLF-002); a file the MLmodel names but the folder lacks was not scanned (RAMP-MLF-003). The serialized files
/// themselves are judged by the file analyzers (pickle, zip, ...), the environment files (requirements.txt,
/// conda.yaml) by the manifest analyzer, and the code/ folder by the Python-source analyzer: this analyzer hands
/// them over by naming them, it does not judge their content.
/// </summary>
internal sealed class MLflowModelAnalyzer : IFolderAnalyzer
{
    public const string UnpicklingFlavor = "RAMP-MLF-001";
    public const string CustomLoaderModule = "RAMP-MLF-002";
    public const string MissingFile = "RAMP-MLF-003";

    /// <summary>Real MLmodel files are a few KiB (a signature with many columns reaches tens); larger is not read.</summary>
    public const int MaxMLmodelBytes = 1024 * 1024;

    /// <summary>
    /// Flavors whose loader deserializes with pickle (or cloudpickle / joblib / torch.load), and the MLmodel key that
    /// names the file or folder it reads. From MLflow's flavor modules (mlflow/&lt;flavor&gt;/__init__.py, _load_model).
    /// </summary>
    private static readonly Dictionary<string, (string Key, string How)> PicklingFlavors = new(StringComparer.Ordinal)
    {
        ["sklearn"] = ("pickled_model", "pickle or cloudpickle (serialization_format)"),
        ["pytorch"] = ("model_data", "torch.load of a whole pickled module"),
        ["statsmodels"] = ("data", "pickle (statsmodels' load_pickle)"),
        ["pmdarima"] = ("model_data", "pickle"),
        ["diviner"] = ("data", "pickle"),
        ["fastai"] = ("data", "fastai load_learner (torch.load with pickle)"),
        ["langchain"] = ("model_data", "cloudpickle or pickle of the chain and its loader_fn"),
        ["shap"] = ("serialized_explainer", "pickle (shap Explainer.load)"),
    };

    private static readonly string[] ModelFacts = ["mlflow_version", "model_uuid", "run_id", "artifact_path", "utc_time_created"];

    private static readonly string[] PyfuncFacts = ["python_version", "cloudpickle_version"];

    /// <summary>The environment files MLflow writes beside a model; requirements.txt and conda.yaml are audited by the manifest analyzer.</summary>
    private static readonly string[] EnvironmentFiles = ["requirements.txt", "python_env.yaml", "conda.yaml"];

    /// <summary>Loader modules of MLflow's own flavors are MLflow's code; any other is imported from the model or its environment.</summary>
    private const string MlflowModulePrefix = "mlflow.";

    public string Id => "mlflow";

    public bool CanAnalyze(FolderView folder, AnalysisContext context)
    {
        ArgumentNullException.ThrowIfNull(folder);
        return folder.Files.Any(f => f.Name == "MLmodel");
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(FolderView folder, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, folder, context);
        var bytes = await folder.ReadAllBytesAsync("MLmodel", MaxMLmodelBytes, cancellationToken).ConfigureAwait(false);
        YamlMappingNode root;
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                throw new MalformedContentException("MLmodel is not UTF-8 text");
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(Encoding.UTF8.GetString(bytes)));
            root = stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m
                : throw new MalformedContentException("MLmodel is not one YAML mapping");
        }
        catch (YamlException e)
        {
            result.Inconclusive($"MLmodel is not well-formed YAML ({e.Start.Line}:{e.Start.Column}: {e.Message}); the model's loading path is unknown", new FindingLocation(Detail: "MLmodel"));
            return result;
        }
        catch (MalformedContentException e)
        {
            result.Inconclusive($"{e.Message}; the model's loading path is unknown", new FindingLocation(Detail: "MLmodel"));
            return result;
        }

        if (Child(root, "flavors") is not YamlMappingNode flavors)
        {
            result.Inconclusive("MLmodel has no 'flavors' mapping; the model's loading path is unknown", new FindingLocation(Detail: "MLmodel"));
            return result;
        }

        foreach (var key in ModelFacts)
        {
            if (Scalar(root, key) is { Length: > 0 } value)
            {
                result.SetFact(key, value);
            }
        }

        result.SetFact("flavors", string.Join(", ", flavors.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value)));
        foreach (var (nameNode, node) in flavors.Children)
        {
            if (nameNode is YamlScalarNode { Value: { } name } && node is YamlMappingNode flavor)
            {
                JudgeFlavor(folder, name, flavor, result);
            }
        }

        var environment = EnvironmentFiles.Where(n => folder.Find(n) is not null).ToList();
        if (environment.Count > 0)
        {
            result.SetFact("environment_files", string.Join(", ", environment));
        }

        return result;
    }

    private static void JudgeFlavor(FolderView folder, string name, YamlMappingNode flavor, AnalysisResult result)
    {
        var location = new FindingLocation(Detail: $"MLmodel flavors.{name}");
        if (name == "python_function")
        {
            var loader = Scalar(flavor, "loader_module");
            if (loader is not null)
            {
                result.SetFact("loader_module", loader);
            }

            foreach (var key in PyfuncFacts)
            {
                if (Scalar(flavor, key) is { } value)
                {
                    result.SetFact(key, value);
                }
            }

            var code = Scalar(flavor, "code");
            if (code is not null)
            {
                result.SetFact("code", code);
                RequirePresent(folder, code, $"flavors.python_function.code", result);
            }

            if (Child(flavor, "env") is YamlMappingNode env)
            {
                foreach (var (_, entry) in env.Children)
                {
                    if (entry is YamlScalarNode { Value: { Length: > 0 } envFile })
                    {
                        RequirePresent(folder, envFile, "flavors.python_function.env", result);
                    }
                }
            }
            else if (Scalar(flavor, "env") is { Length: > 0 } envFile)
            {
                RequirePresent(folder, envFile, "flavors.python_function.env", result);
            }

            if (Scalar(flavor, "python_model") is { } pythonModel)
            {
                // mlflow.pyfunc.model: a PythonModel subclass instance saved with cloudpickle.
                RequirePresent(folder, pythonModel, "flavors.python_function.python_model", result);
                result.Report(UnpicklingFlavor,
                    $"the python_function flavor loads {pythonModel} with cloudpickle (a custom PythonModel): mlflow.pyfunc.load_model runs whatever that pickle calls; its content is judged by the pickle analyzer",
                    location, [new("flavor", name), new("name", pythonModel), new("serialization", "cloudpickle")]);
            }

            if (loader is not null && !loader.StartsWith(MlflowModulePrefix, StringComparison.Ordinal))
            {
                result.Report(CustomLoaderModule,
                    $"the python_function loader_module '{loader}' is not one of MLflow's flavors: mlflow.pyfunc.load_model imports it ({(code is null ? "from the Python environment" : $"first from the model's own code folder '{code}'")}) and calls its _load_pyfunc, so loading runs that module's code",
                    location, [new("flavor", name), new("name", loader)]);
            }

            return;
        }

        if (!PicklingFlavors.TryGetValue(name, out var loads))
        {
            return; // onnx, keras, tensorflow, xgboost, lightgbm, transformers, ...: their files are judged by format
        }

        var file = Scalar(flavor, loads.Key);
        if (file is null)
        {
            return;
        }

        RequirePresent(folder, file, $"flavors.{name}.{loads.Key}", result);
        var how = loads.How;
        if (name == "sklearn" && Scalar(flavor, "serialization_format") is { } format)
        {
            result.SetFact("serialization_format", format);
            how = format is "pickle" or "cloudpickle" ? format : $"'{format}', a serialization format MLflow does not define (it would refuse it)";
        }

        result.Report(UnpicklingFlavor,
            $"the {name} flavor loads {file} with {how}: mlflow.{name}.load_model (and mlflow.pyfunc.load_model) runs whatever that pickle calls; its content is judged by the pickle analyzer",
            location, [new("flavor", name), new("name", file), new("serialization", how)]);
    }

    /// <summary>A file or folder the MLmodel names must be in the model folder, or what a loader would read was not scanned.</summary>
    private static void RequirePresent(FolderView folder, string relative, string key, AnalysisResult result)
    {
        var path = relative.Replace('\\', '/').TrimEnd('/');
        if (path.StartsWith('/') || path.Split('/').Contains(".."))
        {
            result.Report(MissingFile,
                $"MLmodel {key} names '{relative}', outside the model folder: what the loader would read there was not scanned",
                new FindingLocation(Detail: "MLmodel"), [new("name", relative)]);
            return;
        }

        if (folder.Find(path) is not null || folder.AllFiles.Any(f => f.RelativePath.StartsWith(path + "/", StringComparison.Ordinal)))
        {
            return;
        }

        result.Report(MissingFile,
            $"MLmodel {key} names '{relative}', which is not a file or folder of the model: what the loader would read was not scanned",
            new FindingLocation(Detail: "MLmodel"), [new("name", relative)]);
    }

    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string? Scalar(YamlMappingNode mapping, string key) =>
        Child(mapping, key) is YamlScalarNode { Value: { } value } && value != "null" && value != "~" ? value : null;
}
