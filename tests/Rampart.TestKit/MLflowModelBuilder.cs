using System.Text;

namespace Rampart.TestKit;

/// <summary>
/// Writes an MLflow model folder from MLflow's documented storage format: an <c>MLmodel</c> YAML file (flavors with
/// their keys, python_function with loader_module and env), the serialized model, and the environment files
/// (<c>conda.yaml</c>, <c>python_env.yaml</c>, <c>requirements.txt</c>) as <c>mlflow.sklearn.save_model</c> writes them.
/// </summary>
public sealed class MLflowModelBuilder
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly StringBuilder _flavors = new();

    /// <summary>The sklearn flavor with its python_function wrapper, as mlflow.sklearn.save_model writes it.</summary>
    public MLflowModelBuilder Sklearn(byte[] pickle, string serializationFormat = "cloudpickle", string file = "model.pkl")
    {
        _files[file] = pickle;
        _flavors.Append(PythonFunction("loader_module: mlflow.sklearn", $"model_path: {file}", "predict_fn: predict"));
        _flavors.Append(CultureInfo($"""
              sklearn:
                code: null
                pickled_model: {file}
                serialization_format: {serializationFormat}
                sklearn_version: 1.2.1

            """));
        return Environment();
    }

    /// <summary>A custom pyfunc model (mlflow.pyfunc.save_model with python_model=...): a cloudpickled PythonModel.</summary>
    public MLflowModelBuilder CustomPyfunc(byte[] pickle)
    {
        _files["python_model.pkl"] = pickle;
        _flavors.Append(PythonFunction("cloudpickle_version: 2.2.0", "loader_module: mlflow.pyfunc.model", "python_model: python_model.pkl"));
        return Environment();
    }

    /// <summary>A python_function flavor whose loader_module is the model's own code (mlflow.pyfunc.save_model with loader_module=...).</summary>
    public MLflowModelBuilder CustomLoader(string module, string code)
    {
        _files[$"code/{module}.py"] = Encoding.UTF8.GetBytes(code);
        _files["data/weights.json"] = "{\"w\": [1, 2]}"u8.ToArray();
        _flavors.Append(PythonFunction("code: code", "data: data", $"loader_module: {module}"));
        return Environment();
    }

    /// <summary>The onnx flavor: a model file without code, loaded by onnxruntime.</summary>
    public MLflowModelBuilder Onnx(byte[] model)
    {
        _files["model.onnx"] = model;
        _flavors.Append("""
              onnx:
                code: null
                data: model.onnx
                onnx_version: 1.14.0
                providers:
                - CPUExecutionProvider

            """);
        _flavors.Append(PythonFunction("data: model.onnx", "loader_module: mlflow.onnx"));
        return Environment();
    }

    /// <summary>Removes a file the MLmodel names (an incomplete download).</summary>
    public MLflowModelBuilder Without(string file)
    {
        _files.Remove(file);
        return this;
    }

    public MLflowModelBuilder File(string name, string text)
    {
        _files[name] = Encoding.UTF8.GetBytes(text);
        return this;
    }

    /// <summary>The MLmodel text.</summary>
    public string MLmodel() =>
        "artifact_path: model\nflavors:\n" + _flavors +
        "mlflow_version: 2.9.2\nmodel_uuid: 3f7c6d1e2a9b4c8d9e0f1a2b3c4d5e6f\nrun_id: 0a1b2c3d4e5f\nutc_time_created: '2024-01-15 10:00:00.000000'\n";

    /// <summary>Writes the folder <paramref name="directory"/>/<paramref name="folder"/> and returns it.</summary>
    public string Write(string directory, string folder = "model")
    {
        var root = Path.Combine(directory, folder);
        Directory.CreateDirectory(root);
        System.IO.File.WriteAllText(Path.Combine(root, "MLmodel"), MLmodel());
        foreach (var (name, bytes) in _files)
        {
            var path = Path.Combine(root, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllBytes(path, bytes);
        }

        return root;
    }

    private MLflowModelBuilder Environment()
    {
        _files.TryAdd("conda.yaml", "channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n  - mlflow==2.9.2\n  - cloudpickle==2.2.0\n  - scikit-learn==1.2.1\nname: mlflow-env\n"u8.ToArray());
        _files.TryAdd("python_env.yaml", "python: 3.11.2\nbuild_dependencies:\n- pip==23.0.1\n- setuptools==66.1.1\n- wheel==0.38.4\ndependencies:\n- -r requirements.txt\n"u8.ToArray());
        _files.TryAdd("requirements.txt", "mlflow==2.9.2\ncloudpickle==2.2.0\nscikit-learn==1.2.1\n"u8.ToArray());
        return this;
    }

    /// <summary>The python_function flavor every save_model writes: the given keys, the environment files and the Python version.</summary>
    private static string PythonFunction(params string[] keys) =>
        "  python_function:\n" + string.Concat(keys.Append("env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml").Append("python_version: 3.11.2").Select(k => $"    {k}\n"));

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);
}
