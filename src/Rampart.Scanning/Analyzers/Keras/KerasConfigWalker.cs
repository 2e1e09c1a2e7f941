using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Keras;

/// <summary>
/// Walks a whole Keras configuration (every object and array, so Lambda layers inside nested Functional and
/// Sequential models, wrappers such as TimeDistributed and Bidirectional, RNN cells and training configs are all
/// reached) and reports what would run or be imported when Keras rebuilds it.
/// </summary>
internal sealed class KerasConfigWalker(AnalysisResult result, CancellationToken cancellationToken)
{
    /// <summary>JSON values visited before the walk stops with a limit finding.</summary>
    public const int MaxNodes = 2_000_000;

    /// <summary>Serialized-function findings reported per configuration; the rest are counted.</summary>
    public const int MaxFunctionFindings = 100;

    /// <summary>TensorFlow API prefixes (as TFOpLambda records them, without "tf.") that touch files, Python or the host.</summary>
    private static readonly string[] DangerousTfPrefixes =
    [
        "io.", "py_function", "numpy_function", "compat.v1.py_func", "raw_ops.", "debugging.", "print", "compat.v1.io.",
        "compat.v1.gfile.", "gfile.", "saved_model.", "load_op_library", "load_library.", "compat.v1.Print", "summary.",
    ];

    /// <summary>Module prefixes of Keras itself and the packages it ships with.</summary>
    private static readonly string[] KerasModules = ["keras", "tensorflow", "tf_keras", "tf", "keras_nlp", "keras_cv", "keras_hub"];

    private int _nodes;
    private int _functionFindings;

    public int Layers { get; private set; }

    public int Lambdas { get; private set; }

    public HashSet<string> CustomNames { get; } = new(StringComparer.Ordinal);

    public void Walk(JsonElement root)
    {
        Visit(root, "$", 0);
        if (_functionFindings > MaxFunctionFindings)
        {
            result.LimitReached("keras-function-findings", $"{_functionFindings:N0} serialized functions were found; only the first {MaxFunctionFindings} are reported one by one");
        }
    }

    private void Visit(JsonElement element, string path, int depth)
    {
        if (++_nodes > MaxNodes)
        {
            throw new LimitExceededException("keras-config-nodes", $"the configuration has more than {MaxNodes:N0} JSON values");
        }

        if ((_nodes & 0xfff) == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Inspect(element, path);
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("layers") && property.Value.ValueKind == JsonValueKind.Array)
                    {
                        Layers += property.Value.GetArrayLength();
                    }

                    Visit(property.Value, path + "." + property.Name, depth + 1);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Visit(item, path + "[" + KerasConfigAnalyzer.Count(i++) + "]", depth + 1);
                }

                break;
        }
    }

    /// <summary>Judges one JSON object: a layer or object spec, a Keras 2 serialized function, a function reference.</summary>
    private void Inspect(JsonElement obj, string path)
    {
        var className = String(obj, "class_name");
        var module = String(obj, "module");
        var config = obj.TryGetProperty("config", out var c) ? c : default;

        // Keras 2: func_dump output beside a "<name>_type": "lambda" key (function, output_shape, ...).
        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name.EndsWith("_type", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.String
                && property.Value.ValueEquals("lambda")
                && obj.TryGetProperty(property.Name[..^5], out var function) && function.ValueKind == JsonValueKind.Array
                && function.GetArrayLength() > 0 && function[0].ValueKind == JsonValueKind.String)
            {
                ReportBytecode(function[0].GetString()!, $"{path}.{property.Name[..^5]}", "Keras 2 func_dump (marshal, base64)");
            }
        }

        if (className is null)
        {
            return;
        }

        if (className == "__lambda__")
        {
            // Keras 3 keeps func_dump's (code, defaults, closure) under "value"; accept a bare "code" string too.
            var value = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("value", out var v) ? v : default;
            var code = value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value[0].ValueKind == JsonValueKind.String ? value[0].GetString()
                : value.ValueKind == JsonValueKind.String ? value.GetString() : String(config, "code");
            if (code is null)
            {
                Function(path, "a serialized Python function (Keras 3 __lambda__) whose code Rampart cannot find", []);
            }
            else
            {
                ReportBytecode(code, path, "Keras 3 __lambda__ (marshal, base64)");
            }

            return;
        }

        if (className == "Lambda")
        {
            Lambdas++;
            InspectLambda(config, path);
        }
        else if (className is "TFOpLambda" or "SlicingOpLambda" && config.ValueKind == JsonValueKind.Object && String(config, "function") is { } tfFunction)
        {
            var name = tfFunction.StartsWith("tf.", StringComparison.Ordinal) ? tfFunction[3..] : tfFunction;
            if (DangerousTfPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                result.Report(KerasConfigAnalyzer.DangerousFunctionReference,
                    $"{className} layer at {path} calls tf.{name}, a TensorFlow function that reaches files, Python or the host, whenever the model runs",
                    new FindingLocation(Detail: path), [new("function", "tf." + name), new("name", "tf." + name)]);
            }
        }

        if (className == "function" && module is not null && config.ValueKind == JsonValueKind.String)
        {
            CheckNamedFunction(module, config.GetString()!, path);
            return;
        }

        var registered = String(obj, "registered_name");
        string? custom = null;
        if (module is not null && !IsKerasModule(module))
        {
            custom = $"{module}.{className}";
        }
        else if (registered is not null && registered.Contains('>', StringComparison.Ordinal) && !IsKerasModule(registered.Split('>')[0]))
        {
            custom = registered;
        }
        else if (className.Contains('>', StringComparison.Ordinal) && !IsKerasModule(className.Split('>')[0]))
        {
            custom = className;
        }

        if (custom is not null && CustomNames.Add(custom))
        {
            result.Report(KerasConfigAnalyzer.CustomObject,
                $"the configuration needs the custom object '{custom}' (first at {path}): Keras imports and instantiates code from outside Keras to rebuild it",
                new FindingLocation(Detail: path), [new("object", custom), new("name", custom)]);
        }
    }

    private void InspectLambda(JsonElement config, string path)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("function", out var function))
        {
            Function(path, "a Lambda layer without a readable function", []);
            return;
        }

        switch (function.ValueKind)
        {
            case JsonValueKind.Array when String(config, "function_type") == "lambda":
            case JsonValueKind.Object when String(function, "class_name") == "__lambda__":
                return; // Reported where the serialized code itself is visited.
            case JsonValueKind.String:
                var module = String(config, "module") ?? "?";
                var name = function.GetString()!;
                Function(path, $"a Lambda layer calling the named function {module}.{name}", [new("function", $"{module}.{name}")]);
                CheckNamedFunction(module, name, path);
                return;
            case JsonValueKind.Object when String(function, "module") is { } m && function.TryGetProperty("config", out var fn) && fn.ValueKind == JsonValueKind.String:
                Function(path, $"a Lambda layer calling the named function {m}.{fn.GetString()}", [new("function", $"{m}.{fn.GetString()}")]);
                return; // The function reference itself is checked when it is visited.
            default:
                Function(path, "a Lambda layer whose function Rampart cannot read", []);
                return;
        }
    }

    private void CheckNamedFunction(string module, string name, string path)
    {
        var top = module.Split('.')[0];
        if (DangerousPythonNames.Modules.Contains(top) || DangerousPythonNames.Functions.Contains(name))
        {
            result.Report(KerasConfigAnalyzer.DangerousFunctionReference,
                $"the configuration at {path} names the Python function {module}.{name}, which Keras imports and calls when the model is loaded or run",
                new FindingLocation(Detail: path), [new("function", $"{module}.{name}"), new("name", $"{module}.{name}")]);
        }
        else if (!IsKerasModule(module) && CustomNames.Add($"{module}.{name}"))
        {
            result.Report(KerasConfigAnalyzer.CustomObject,
                $"the configuration at {path} names the function {module}.{name} from outside Keras; loading the model imports it",
                new FindingLocation(Detail: path), [new("object", $"{module}.{name}"), new("name", $"{module}.{name}")]);
        }
    }

    private void ReportBytecode(string base64, string path, string form)
    {
        byte[] code;
        try
        {
            code = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            Function(path, $"a serialized Python function ({form}) whose base64 text does not decode", []);
            return;
        }

        var strings = MarshalStrings.Read(code);
        var names = strings.Where(MarshalStrings.IsName).Where(n => n is not "<lambda>").Distinct(StringComparer.Ordinal).ToList();
        var listed = names.Count == 0 ? "no names" : "names: " + string.Join(", ", names.Take(40));
        Function(path, $"a serialized Python function ({form}, {code.Length:N0} bytes of bytecode; {listed}) that Keras rebuilds and runs", [new("names", string.Join(",", names.Take(40)))]);
        var dangerous = DangerousPythonNames.Matches(names);
        if (dangerous.Count > 0)
        {
            var constants = strings.Where(s => !MarshalStrings.IsName(s) && s is not "<lambda>" and not "<string>").Take(5).ToList();
            result.Report(KerasConfigAnalyzer.DangerousBytecode,
                $"the serialized function at {path} uses {string.Join(", ", dangerous)}" + (constants.Count > 0 ? $" with the constant(s) {string.Join(", ", constants.Select(s => "'" + s + "'"))}" : string.Empty)
                + "; loading the model runs it (Keras 2 always, Keras 3 with safe_mode=False)",
                new FindingLocation(Detail: path), [new("names", string.Join(",", dangerous)), new("name", dangerous[0])]);
        }
    }

    private void Function(string path, string what, KeyValuePair<string, string>[] properties)
    {
        if (++_functionFindings > MaxFunctionFindings)
        {
            return;
        }

        result.Report(KerasConfigAnalyzer.SerializedFunction,
            $"{what} at {path}; Keras 3 refuses it under safe_mode=True (its default for .keras), Keras 2 and safe_mode=False run it",
            new FindingLocation(Detail: path), properties);
    }

    private static bool IsKerasModule(string module)
    {
        var top = module.Split('.')[0];
        return KerasModules.Contains(top, StringComparer.Ordinal);
    }

    private static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
