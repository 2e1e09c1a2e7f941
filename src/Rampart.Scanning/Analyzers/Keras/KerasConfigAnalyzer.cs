using System.Globalization;
using System.Text.Json;
using Rampart.Core;
using Rampart.Scanning.Engine;
using Rampart.Scanning.IO;

namespace Rampart.Scanning.Analyzers.Keras;

/// <summary>
/// A Keras model, layer or training configuration as JSON, wherever it turns up: config.json inside a .keras zip,
/// the model_config / training_config attributes of a legacy HDF5 file, the JSON a SavedModel keeps in
/// keras_metadata.pb. Recognised by content (an object with class_name and config, the Keras 3 module /
/// registered_name form, or a training config), then walked whole: Lambda layers and serialized functions at any
/// depth, custom objects from outside Keras and TensorFlow, and functions named by reference that reach the OS.
/// </summary>
internal sealed class KerasConfigAnalyzer : IArtifactAnalyzer
{
    public const string SerializedFunction = "RAMP-KERAS-001";
    public const string DangerousBytecode = "RAMP-KERAS-002";
    public const string CustomObject = "RAMP-KERAS-003";
    public const string DangerousFunctionReference = "RAMP-KERAS-004";

    /// <summary>Configs larger than this are not read (Keras configs of the largest published models are a few MiB).</summary>
    public const int MaxConfigBytes = 64 * 1024 * 1024;

    /// <summary>JSON nesting deeper than this is refused (each nested model adds about four levels).</summary>
    public const int MaxJsonDepth = 512;

    public string Id => "keras-config";

    public bool CanAnalyze(Artifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var head = artifact.Head.Span;
        var start = 0;
        if (head.StartsWith("\xEF\xBB\xBF"u8))
        {
            start = 3;
        }

        while (start < head.Length && head[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        if (start >= head.Length || head[start] != (byte)'{')
        {
            return false;
        }

        return (head.IndexOf("\"class_name\""u8) >= 0 && (head.IndexOf("\"config\""u8) >= 0 || head.IndexOf("\"registered_name\""u8) >= 0))
            || head.IndexOf("\"optimizer_config\""u8) >= 0;
    }

    public async ValueTask<AnalysisResult> AnalyzeAsync(Artifact artifact, AnalysisContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(context);
        var result = new AnalysisResult(Id, artifact, context);
        var bytes = await ReadAllAsync(artifact, cancellationToken).ConfigureAwait(false);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            result.Inconclusive("the Keras configuration is not valid UTF-8 text");
            return result;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxJsonDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            result.Inconclusive($"the Keras configuration is not well-formed JSON: {e.Message}", e.BytePositionInLine is { } p ? FindingLocation.AtOffset(p) : null);
            return result;
        }

        using (document)
        {
            var root = document.RootElement;
            if (!IsKerasRoot(root))
            {
                result.MarkNotThisFormat();
                return result;
            }

            var walker = new KerasConfigWalker(result, cancellationToken);
            walker.Walk(root);
            SetFacts(root, walker, result);
        }

        return result;
    }

    /// <summary>True for the shapes Keras writes at the top of a configuration.</summary>
    internal static bool IsKerasRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var hasClass = root.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String;
        var hasConfig = root.TryGetProperty("config", out _);
        var keras3 = hasClass && root.TryGetProperty("module", out _) && root.TryGetProperty("registered_name", out _);
        var training = root.TryGetProperty("optimizer_config", out var o) && o.ValueKind == JsonValueKind.Object;
        return (hasClass && hasConfig) || keras3 || training;
    }

    private static void SetFacts(JsonElement root, KerasConfigWalker walker, AnalysisResult result)
    {
        if (root.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String)
        {
            result.SetFact("class_name", c.GetString()!);
        }
        else if (root.TryGetProperty("optimizer_config", out _))
        {
            result.SetFact("kind", "training-config");
        }

        foreach (var key in new[] { "keras_version", "backend" })
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
            {
                result.SetFact(key == "keras_version" ? "version" : key, v.GetString()!);
            }
        }

        result.SetFact("layers", walker.Layers);
        result.SetFact("lambda_layers", walker.Lambdas);
        if (walker.CustomNames.Count > 0)
        {
            result.SetFact("custom_objects", string.Join(", ", walker.CustomNames.Order(StringComparer.Ordinal)));
        }
    }

    private static async ValueTask<ReadOnlyMemory<byte>> ReadAllAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        if (artifact.HeadIsComplete)
        {
            return artifact.Head;
        }

        if (artifact.Length > MaxConfigBytes)
        {
            throw new LimitExceededException("keras-config-bytes", $"the configuration has {artifact.Length:N0} bytes, more than the {MaxConfigBytes:N0} Rampart reads");
        }

        var stream = await artifact.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var bounded = new BoundedReadStream(stream, MaxConfigBytes, "keras-config-bytes");
            using var copy = new MemoryStream();
            await bounded.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            return copy.ToArray();
        }
    }

    internal static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
