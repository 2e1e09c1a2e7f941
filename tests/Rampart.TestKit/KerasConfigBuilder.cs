using System.Text;
using System.Text.Json.Nodes;

namespace Rampart.TestKit;

/// <summary>
/// Builds Keras model configurations as Keras 2 (tf.keras) and Keras 3 write them: a Functional or Sequential model
/// whose layers can be plain, Lambda (with marshalled bytecode), nested models, wrappers, custom objects and
/// TFOpLambda calls.
/// </summary>
public sealed class KerasConfigBuilder
{
    /// <summary>Python 3.11 marshal of the code of <c>lambda x: x * 2.0</c>, base64 as Keras' func_dump writes it.</summary>
    public const string DoubleLambdaCode =
        "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwApAk7nAAAAAAAAAECpAKkB2gF4\ncwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yBwAAAAQAAABzCgAAAIAAiGGQI4lngADzAAAAAA==\n";

    /// <summary>
    /// Python 3.11 marshal of <c>lambda x: __import__('os').system('touch /tmp/rampart-marker') or x</c>: the
    /// harmless stand-in for a hostile Lambda layer (it would only create a marker file).
    /// </summary>
    public const string MarkerLambdaCode =
        "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3P6GXRvdWNo\nIC90bXAvcmFtcGFydC1tYXJrZXIpAtoKX19pbXBvcnRfX9oGc3lzdGVtqQHaAXhzAQAAACD6CDxz\ndHJpbmc++gg8bGFtYmRhPnIJAAAABgAAAHMiAAAAgACNapgU0Q4e1A4e1w4l0g4l0CZB0Q5C1A5C\n0A5HwGGAAPMAAAAA\n";

    private readonly List<JsonNode> _layers = [];
    private string _className = "Functional";
    private string? _kerasVersion = "2.12.0";
    private bool _keras3;

    public KerasConfigBuilder Sequential()
    {
        _className = "Sequential";
        return this;
    }

    /// <summary>Write Keras 3 style specs (module, registered_name) instead of Keras 2 ones.</summary>
    public KerasConfigBuilder Keras3()
    {
        _keras3 = true;
        _kerasVersion = null;
        return this;
    }

    public KerasConfigBuilder Version(string? version)
    {
        _kerasVersion = version;
        return this;
    }

    public KerasConfigBuilder Dense(string name = "dense", int units = 4) =>
        Layer(Spec("Dense", "keras.layers", new JsonObject { ["name"] = name, ["units"] = units, ["activation"] = "relu", ["use_bias"] = true }));

    /// <summary>A Lambda layer holding marshalled bytecode (Keras 2 func_dump list, or Keras 3 <c>__lambda__</c>).</summary>
    public KerasConfigBuilder Lambda(string code, string name = "lambda") => Layer(LambdaSpec(code, name));

    public KerasConfigBuilder CustomLayer(string module, string className) =>
        Layer(_keras3
            ? new JsonObject { ["module"] = module, ["class_name"] = className, ["config"] = new JsonObject { ["name"] = "custom" }, ["registered_name"] = $"{module}>{className}" }
            : new JsonObject { ["class_name"] = $"{module}>{className}", ["config"] = new JsonObject { ["name"] = "custom" } });

    public KerasConfigBuilder TfOpLambda(string function) =>
        Layer(new JsonObject { ["class_name"] = "TFOpLambda", ["config"] = new JsonObject { ["name"] = "tf_op", ["function"] = function } });

    /// <summary>A Lambda hidden three levels down: Functional ⊃ TimeDistributed ⊃ Sequential ⊃ Bidirectional(LSTM cell) ⊃ Lambda.</summary>
    public KerasConfigBuilder NestedLambda(string code)
    {
        var inner = new JsonObject
        {
            ["class_name"] = "Sequential",
            ["config"] = new JsonObject
            {
                ["name"] = "inner",
                ["layers"] = new JsonArray(
                    Spec("Dense", "keras.layers", new JsonObject { ["name"] = "inner_dense", ["units"] = 2 }),
                    new JsonObject
                    {
                        ["class_name"] = "Bidirectional",
                        ["config"] = new JsonObject { ["name"] = "bi", ["layer"] = LambdaSpec(code, "deep_lambda") },
                    }),
            },
        };
        return Layer(new JsonObject { ["class_name"] = "TimeDistributed", ["config"] = new JsonObject { ["name"] = "td", ["layer"] = inner } });
    }

    public KerasConfigBuilder Layer(JsonNode spec)
    {
        _layers.Add(spec);
        return this;
    }

    public string BuildJson()
    {
        var layers = new JsonArray([.. _layers.Select(l => l.DeepClone())]);
        var root = new JsonObject
        {
            ["class_name"] = _className,
            ["config"] = new JsonObject { ["name"] = "model", ["layers"] = layers },
        };
        if (_keras3)
        {
            root["module"] = "keras";
            root["registered_name"] = null;
        }

        if (_kerasVersion is not null)
        {
            root["keras_version"] = _kerasVersion;
            root["backend"] = "tensorflow";
        }

        return root.ToJsonString();
    }

    public byte[] Build() => Encoding.UTF8.GetBytes(BuildJson());

    /// <summary>A .keras archive (Keras 3 layout) around this configuration.</summary>
    public byte[] BuildKerasArchive(byte[]? weights = null) => new ZipBuilder()
        .Add("metadata.json", """{"keras_version": "3.3.3", "date_saved": "2026-11-22@06:00:00"}""", deflate: true)
        .Add("config.json", BuildJson(), deflate: true)
        .Add("model.weights.h5", weights ?? [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a, .. new byte[56]])
        .Build();

    private JsonObject LambdaSpec(string code, string name) => _keras3
        ? Spec("Lambda", "keras.layers", new JsonObject
        {
            ["name"] = name,
            ["function"] = new JsonObject
            {
                ["class_name"] = "__lambda__",
                ["config"] = new JsonObject { ["value"] = new JsonArray(code, null, null) },
            },
        })
        : new JsonObject
        {
            ["class_name"] = "Lambda",
            ["config"] = new JsonObject
            {
                ["name"] = name,
                ["function"] = new JsonArray(code, null, null),
                ["function_type"] = "lambda",
                ["module"] = "__main__",
                ["output_shape"] = null,
                ["output_shape_type"] = "raw",
            },
        };

    private JsonObject Spec(string className, string module, JsonObject config) => _keras3
        ? new JsonObject { ["module"] = module, ["class_name"] = className, ["config"] = config, ["registered_name"] = null }
        : new JsonObject { ["class_name"] = className, ["config"] = config };
}
